/**
 * A user's crontab as `crontab -l` prints it (rc 1 with "no crontab" means
 * none), or a cron file's content.
 */
import { quote } from '../connection/quote.js';
import type { Fact } from './types.js';
import { sectionsFact } from './sections.js';

export interface CrontabState {
  /** The crontab text ('' when there is none). */
  content: string;
  exists: boolean;
}

export const crontabFact: Fact<{ user?: string }, CrontabState> = sectionsFact(
  'cron.crontab',
  // rc 1 is "no crontab for user" (and an unknown user), as Ansible's cron module reads it.
  // -u only for another user: crontab refuses -u to a user that is not root.
  ({ user }) => ({ crontab: user === undefined ? 'crontab -l' : `if [ "$(id -un)" = ${quote(user)} ]; then crontab -l; else crontab -u ${quote(user)} -l; fi` }),
  (s) => {
    const { out, rc } = s.crontab!;
    if (rc !== 0 && rc !== 1) throw new Error(`Unable to read crontab (rc ${rc})`);
    return { content: rc === 0 ? out : '', exists: rc === 0 };
  },
);
