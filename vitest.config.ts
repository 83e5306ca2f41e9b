import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests on the local connection, and lab tests that need
// the three nspawn hosts (`uxsv lab up`). `npm test` runs unit tests, and lab
// tests only when UXSV_LAB=1 (set by .ci/run after the lab is up).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
