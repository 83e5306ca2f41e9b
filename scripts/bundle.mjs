// Build step: the `uxsv` command as one file (dist/uxsv.mjs). Loading some two
// hundred module files took half of the engine's start-up; one file loads in
// a fraction of that. (The template engine imports nunjucks' internal modules
// statically, so they and nunjucks itself are one copy in the bundle.)
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/engine/cli/main.js'],
  outfile: 'dist/uxsv.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: ['cpu-features', '*.node'],
  // CommonJS dependencies inside an ES module still need require and __dirname.
  banner: {
    js: [
      "import { createRequire as __uxsvCreateRequire } from 'node:module';",
      "import { fileURLToPath as __uxsvFileURLToPath } from 'node:url';",
      "import { dirname as __uxsvDirname } from 'node:path';",
      'const require = __uxsvCreateRequire(import.meta.url);',
      'const __filename = __uxsvFileURLToPath(import.meta.url);',
      'const __dirname = __uxsvDirname(__filename);',
    ].join('\n'),
  },
  logLevel: 'warning',
});
