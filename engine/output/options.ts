/**
 * The settings of ansible-playbook's default output that a run can change,
 * with Ansible's defaults and environment variables. Whoever reads
 * ansible.cfg passes its values over these (`outputSettings(env, fromConfig)`).
 */
import { toBool } from '../values.js';

export interface OutputSettings {
  /** Show `skipping: [host]` results (display_skipped_hosts). */
  displaySkippedHosts: boolean;
  /** Show `ok: [host]` results (display_ok_hosts). */
  displayOkHosts: boolean;
  /** Failed and unreachable results go to stderr (display_failed_stderr). */
  displayFailedStderr: boolean;
  /** The `CUSTOM STATS` section of set_stats after the recap (show_custom_stats). */
  showCustomStats: boolean;
  /** `DRY RUN` banners and `[CHECK MODE]` on plays and tasks in check mode (check_mode_markers). */
  checkModeMarkers: boolean;
  /** `task path:` before a failure below -vv (show_task_path_on_failure). */
  showTaskPathOnFailure: boolean;
  /** The task's arguments in its banner (display_args_to_stdout). */
  displayArgsToStdout: boolean;
  /** Indent result dumps always (true), never (false), or as Ansible chooses (undefined) (callback_format_pretty). */
  prettyResults?: boolean;
  /** Print the warnings and deprecations that results carry (action_warnings). */
  actionWarnings: boolean;
  /** Print deprecation warnings (deprecation_warnings). */
  deprecationWarnings: boolean;
  /** Unchanged lines around each change in --diff output (diff context). */
  diffContext: number;
}

export const DEFAULT_SETTINGS: OutputSettings = {
  displaySkippedHosts: true,
  displayOkHosts: true,
  displayFailedStderr: false,
  showCustomStats: false,
  checkModeMarkers: false,
  showTaskPathOnFailure: false,
  displayArgsToStdout: false,
  actionWarnings: true,
  deprecationWarnings: true,
  diffContext: 3,
};

/** Ansible's environment variable of each boolean setting. */
const BOOLEAN_ENV: Array<[keyof OutputSettings, string]> = [
  ['displaySkippedHosts', 'ANSIBLE_DISPLAY_SKIPPED_HOSTS'],
  ['displayOkHosts', 'ANSIBLE_DISPLAY_OK_HOSTS'],
  ['displayFailedStderr', 'ANSIBLE_DISPLAY_FAILED_STDERR'],
  ['showCustomStats', 'ANSIBLE_SHOW_CUSTOM_STATS'],
  ['checkModeMarkers', 'ANSIBLE_CHECK_MODE_MARKERS'],
  ['showTaskPathOnFailure', 'ANSIBLE_SHOW_TASK_PATH_ON_FAILURE'],
  ['prettyResults', 'ANSIBLE_CALLBACK_FORMAT_PRETTY'],
  ['displayArgsToStdout', 'ANSIBLE_DISPLAY_ARGS_TO_STDOUT'],
  ['actionWarnings', 'ANSIBLE_ACTION_WARNINGS'],
  ['deprecationWarnings', 'ANSIBLE_DEPRECATION_WARNINGS'],
];

/**
 * The settings from Ansible's environment variables over `base` (the
 * defaults, or what ansible.cfg set: the environment wins over the file, as
 * in Ansible). Booleans read as Ansible reads them (anything unknown is false).
 */
export function outputSettings(env: NodeJS.ProcessEnv, base: Partial<OutputSettings> = {}): OutputSettings {
  const settings: OutputSettings = { ...DEFAULT_SETTINGS, ...base };
  for (const [key, name] of BOOLEAN_ENV) {
    const value = env[name];
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = toBool(value, false);
  }
  const context = env.ANSIBLE_DIFF_CONTEXT;
  if (context !== undefined && /^\s*\d+\s*$/.test(context)) settings.diffContext = Number(context);
  return settings;
}
