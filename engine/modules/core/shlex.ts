import { shellWords } from '../../connection/quote.js';

/** POSIX shlex.split, as Ansible's command module splits its free-form text. */
export function shlexSplit(text: string): string[] {
  return shellWords(text, 'the command');
}
