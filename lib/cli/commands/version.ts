import type { Command } from 'commander';
import type { Io } from '../context';
import { withUsage } from '../help';
import { hvkitVersion } from '../version';

/** `hvkit version [--json]`, as `terraform version` (the flags `-v`, `--version` print the same line). */
export function registerVersion(program: Command, io: Io): void {
  withUsage(
    program
      .command('version')
      .description('print the hvkit version (also: hvkit --version, hvkit -v)')
      .option('--json', 'print {"hvkit_version": …} for scripts, as `terraform version -json` does'),
    {
      examples: ['hvkit version', 'hvkit version --json  # {"hvkit_version":"0.1.0"}'],
      exitCodes: {},
    },
  ).action((opts: { json?: boolean }) => {
    io.out(opts.json ? `${JSON.stringify({ hvkit_version: hvkitVersion() })}\n` : `hvkit ${hvkitVersion()}\n`);
  });
}
