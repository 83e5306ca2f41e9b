/**
 * The local side of copying a folder (copy with a directory `src`): which
 * files, folders and links it holds, as Ansible's copy action walks it.
 * With local_follow (the default) links to files are copied as their target
 * and links to folders are descended into, unless that would loop (then
 * they stay links); without it, every link stays a link.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';

export interface LocalTree {
  /** [absolute source path, path relative to the destination] */
  files: Array<[string, string]>;
  directories: Array<[string, string]>;
  /** [link text, relative path] */
  symlinks: Array<[string, string]>;
}

function identity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Entries of a folder: non-folders first, then folders (a link to a folder counts as a folder), in listing order. */
function listing(dir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  for (const name of readdirSync(dir)) {
    let isDir = false;
    try {
      isDir = statSync(join(dir, name)).isDirectory();
    } catch {
      isDir = false;   // a dangling link
    }
    (isDir ? dirs : files).push(name);
  }
  return { files, dirs };
}

/**
 * Walk `top`: with a trailing slash its contents go to the destination, without
 * one the folder itself (its name first in every relative path).
 */
export function walkLocalTree(top: string, localFollow: boolean): LocalTree {
  const tree: LocalTree = { files: [], directories: [], symlinks: [] };
  const trailing = top.endsWith(sep);
  const root = trailing ? top.slice(0, -1) : top;
  const base = trailing ? '' : basename(root);
  if (!localFollow && lstatSync(root).isSymbolicLink()) {
    tree.symlinks.push([readlinkSync(root), basename(root)]);
    return tree;
  }
  const recurse = (dir: string, rel: string, parents: Set<string>): void => {
    const { files, dirs } = listing(dir);
    for (const name of files) {
      const full = join(dir, name);
      const relPath = rel ? `${rel}/${name}` : name;
      if (lstatSync(full).isSymbolicLink()) {
        let real: string | undefined;
        try {
          real = realpathSync(full);
        } catch {
          real = undefined;
        }
        if (localFollow && real !== undefined && statSync(real).isFile()) tree.files.push([real, relPath]);
        else tree.symlinks.push([readlinkSync(full), relPath]);
      } else {
        tree.files.push([full, relPath]);
      }
    }
    for (const name of dirs) {
      const full = join(dir, name);
      const relPath = rel ? `${rel}/${name}` : name;
      if (!lstatSync(full).isSymbolicLink()) {
        tree.directories.push([full, relPath]);
        recurse(full, relPath, parents);
        continue;
      }
      if (!localFollow) {
        tree.symlinks.push([readlinkSync(full), relPath]);
        continue;
      }
      // A link to a folder above it (or to itself) would loop: it stays a link.
      const real = realpathSync(full);
      const id = identity(real);
      const ancestors = new Set(parents);
      for (let up = dirname(full); ; up = dirname(up)) {
        const upId = identity(up);
        if (upId !== undefined) ancestors.add(upId);
        if (up === dirname(up)) break;
      }
      if (id === undefined || ancestors.has(id)) {
        tree.symlinks.push([readlinkSync(full), relPath]);
      } else {
        tree.directories.push([real, relPath]);
        recurse(real, relPath, ancestors);
      }
    }
  };
  const topId = identity(root);
  recurse(root, base, new Set(topId ? [topId] : []));
  return tree;
}
