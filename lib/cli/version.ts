import { createRequire } from 'node:module';
import type { Command } from 'commander';
import { withUsage } from './help';
import type { Io } from './context';

let cached: string | undefined;

/**
 * hvkit's version, from its package.json, read once. Resolved through the
 * package's own name (its `exports` lists `./package.json`), so it is found
 * the same way from lib/ under tsx and from the dist/ bundle.
 */
export function hvkitVersion(): string {
  cached ??= (createRequire(import.meta.url)('hvkit/package.json') as { version: string }).version;
  return cached;
}

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
