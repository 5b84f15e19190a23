import type { Command } from 'commander';

/** What `--help` of a command shows below its options: how it is used, and what its exit status means. */
export interface UsageNotes {
  /** Command lines a user can copy, each with a short comment (`hvkit plan --out plan.json  # save it for review`). */
  readonly examples: readonly string[];
  /** Exit status → meaning, as CI scripts test it. */
  readonly exitCodes: Readonly<Record<number, string>>;
}

/** The exit codes every command shares; commands add their own. */
export const COMMON_EXIT_CODES: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'an error (bad input, a failed step, a refused plan); the message says what to do',
};

/** Adds the examples and exit codes to a command's `--help`. */
export function withUsage(cmd: Command, notes: UsageNotes): Command {
  const codes = { ...COMMON_EXIT_CODES, ...notes.exitCodes };
  const lines = [
    '',
    'Examples:',
    ...notes.examples.map((e) => `  $ ${e}`),
    '',
    'Exit codes:',
    ...Object.entries(codes).map(([code, meaning]) => `  ${code}  ${meaning}`),
  ];
  return cmd.addHelpText('after', lines.join('\n'));
}
