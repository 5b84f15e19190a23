import type { Command } from 'commander';
import { validateApp } from '../../ops/validate';
import { isValid, renderValidateJson, renderValidateText } from '../../render/validate';
import type { Io } from '../context';
import { withUsage } from '../help';

export function registerValidate(program: Command, io: Io, setCode: (code: number) => void): void {
  withUsage(
    program
      .command('validate')
      .description('check the code alone (props, names, references, schema) without state or providers: fast enough for a pre-commit hook')
      .option('--app <command>', 'command that runs the fleet app (default: "app" in cdktf.json)')
      .option('--fleet <name>', 'check only this fleet (default: every fleet the app makes)')
      .option('--fit', 'also check that every host fits the guests code puts on it (no state needed; plan checks it anyway)')
      .option('--json', 'print the result as `terraform validate -json` does, for editors and CI')
      .option('--no-color', 'accepted for symmetry with the other commands; validate prints no colour'),
    {
      examples: [
        'hvkit validate                 # The fleet is valid: 4 hosts, 6 guests.',
        'hvkit validate --fit           # and every host fits its guests',
        'hvkit validate --json | jq .diagnostics',
      ],
      exitCodes: { 1: 'the code is not valid (every problem is listed, with its construct path), or the app could not run' },
    },
  ).action(async (opts: { app?: string; fleet?: string; fit?: boolean; json?: boolean }) => {
    const report = await validateApp({ projectDir: io.cwd, app: opts.app, fleet: opts.fleet, env: io.env, fit: opts.fit });
    if (opts.json) io.out(renderValidateJson(report));
    else {
      const text = renderValidateText(report);
      io.err(text.err);
      io.out(text.out);
    }
    setCode(isValid(report) ? 0 : 1);
  });
}
