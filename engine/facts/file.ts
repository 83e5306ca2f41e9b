/**
 * The `file` fact: what is at some paths on a host (type, mode, owner, size,
 * times, links, checksum, optionally the content, the access the connecting
 * user has, the MIME type and the ext2 attributes), for any number of paths
 * in one command with a fixed number of processes (file-batch.ts). The
 * queries of several tasks merge into one read.
 */
import { fileOutputProblem, fileProgram, indexFileOutput, stateFromIndex } from './file-batch.js';
import type { Fact, FactOutput } from './types.js';

export { CONTENT_LIMIT } from './file-batch.js';
export { parseStatLine, parseStatLineIn, parseStatTime, statLineCommand } from './stat-line.js';

export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

export type FileType = 'file' | 'directory' | 'link' | 'fifo' | 'socket' | 'char' | 'block' | 'other';

export interface RemoteFileState {
  path: string;
  exists: boolean;
  /**
   * 'file', 'directory', 'link' or 'other' (fifo, socket, devices: see `kind`).
   * Kept coarse because most modules only tell these four apart.
   */
  type?: 'file' | 'directory' | 'link' | 'other';
  /** The precise type. */
  kind?: FileType;
  /** 4-digit octal, e.g. '0644'. */
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size?: number;
  /** Seconds since the epoch, as Python's float st_mtime. */
  mtime?: number;
  atime?: number;
  ctime?: number;
  inode?: number;
  dev?: number;
  nlink?: number;
  /** 512-byte blocks allocated (st_blocks). */
  blocks?: number;
  /** Preferred I/O size (st_blksize). */
  blockSize?: number;
  /** Device number of a device file (st_rdev). */
  rdev?: number;
  /** sha1 of a regular file's content (when the checksum asked for is sha1, the default). */
  sha1?: string;
  /** The checksum asked for, in hex (sha1 unless another algorithm was requested). */
  checksum?: string;
  /** When requested, for regular files up to the query's contentLimit bytes. */
  content?: Buffer;
  /** When the content was requested but the file is larger: its first 8 KiB. */
  head?: Buffer;
  /** For symbolic links (whatever `follow` says). */
  linkTarget?: string;
  /** For symbolic links: the fully resolved path (readlink -f), as Ansible's lnk_source. */
  realPath?: string;
  /** follow was asked and the path is a link to nothing: the other fields describe the link. */
  dangling?: boolean;
  /** What the connecting (or become) user may do, as os.access. */
  access?: { readable: boolean; writeable: boolean; executable: boolean };
  /** `file --mime-type --mime-encoding`, when asked and available. */
  mime?: { mimetype: string; charset: string };
  /** `lsattr -vd`, when asked and available (empty for links and unsupported file systems). */
  attributes?: { version: string; flags: string };
  /** The flags `lsattr -d` shows (also where `lsattr -v` fails), as Ansible compares them when it sets attributes. */
  attributeFlags?: string;
  /** With `why`: the path could not be looked at (a folder on the way is not searchable). */
  denied?: boolean;
}

export interface FileQuery {
  path: string;
  /** Describe the link's target (default true); false describes a link itself. */
  follow?: boolean;
  /** Also return the content of a regular file up to `contentLimit` bytes. */
  content?: boolean;
  /** Bytes up to which the content is transferred (default CONTENT_LIMIT); larger files give their first 8 KiB (`head`). */
  contentLimit?: number;
  /** Checksum of regular files; default 'sha1', false for none. */
  checksum?: ChecksumAlgorithm | false;
  /** readable/writeable/executable for the user running the command. */
  access?: boolean;
  mime?: boolean;
  attributes?: boolean;
  /** For a path that cannot be seen: tell "permission denied" from "missing" (one more process then). */
  why?: boolean;
}

export const fileFact: Fact<FileQuery[], RemoteFileState[]> = {
  name: 'file',
  inline: true,
  command: fileProgram,
  merge: (lists) => lists.flat(),
  parse(output: FactOutput, queries) {
    if (output.rc !== 0) {
      const why = output.stderr.trim() || `rc ${output.rc}, no error output (the command was cut off?)`;
      throw new Error(`cannot stat ${[...new Set(queries.map((q) => q.path))].join(', ')}: ${why}`);
    }
    const index = indexFileOutput(output.stdout);
    const problem = fileOutputProblem(index);
    if (problem) throw new Error(`cannot stat ${[...new Set(queries.map((q) => q.path))].join(', ')}: ${problem}${output.stderr.trim() ? ` (${output.stderr.trim()})` : ''}`);
    return queries.map((q) => stateFromIndex(index, q));
  },
};
