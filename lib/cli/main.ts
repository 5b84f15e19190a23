import { createInterface } from 'node:readline/promises';
import { Command, CommanderError } from 'commander';
import { isHvkitError } from '../errors';
import { terraformStyleFlags, type Io } from './context';
import { terminalSafe } from '../render/printable';
import { withUsage } from './help';
import { closeStores } from './fleet';
import { registerSynth } from './commands/synth';
import { registerPlan } from './commands/plan';
import { registerApply } from './commands/apply';
import { registerDestroy } from './commands/destroy';
import { registerState } from './commands/state';
import { registerLookups } from './commands/lookups';
import { registerProviderInput } from './commands/provider-input';
import { registerRefresh } from './commands/refresh';
import { registerImport } from './commands/import';
import { registerRebuild } from './commands/rebuild';
import { registerReport } from './commands/report';
import { registerValidate } from './commands/validate';
import { registerShow } from './commands/show';
import { registerVersion } from './commands/version';
import { hvkitVersion } from './version';
import { registerPower } from './commands/power';
import { registerConsole } from './commands/console';
import { registerSimulate } from './commands/simulate';
import { registerCapacity } from './commands/capacity';
import { registerTop } from './commands/top';

export function processIo(): Io {
  // A reader that goes away (`hvkit apply | head -1`) must not stop an apply between a
  // step's call and its record: what it would have read is dropped, the work goes on.
  const readerGone = (stream: NodeJS.WriteStream) => {
    let gone = false;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      gone = true;
    });
    return (t: string) => gone || stream.write(t);
  };
  const out = readerGone(process.stdout);
  const err = readerGone(process.stderr);
  return {
    out,
    err,
    isTty: Boolean(process.stdout.isTTY),
    cwd: process.cwd(),
    env: process.env,
    ask: async (q) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(q);
      } finally {
        rl.close();
      }
    },
  };
}

export function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command('hvkit')
    .description('Infrastructure as code for homemade hypervisor hosts and the guests packed onto them')
    .version(hvkitVersion(), '-v, --version', 'print the hvkit version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerSynth(program, io);
  registerValidate(program, io, setCode);
  registerPlan(program, io, setCode);
  registerShow(program, io);
  registerApply(program, io, setCode);
  registerDestroy(program, io, setCode);
  registerLookups(program, io, setCode);
  registerRefresh(program, io);
  registerRebuild(program, io, setCode);
  registerReport(program, io);
  registerCapacity(program, io);
  registerImport(program, io);
  registerState(program, io);
  registerProviderInput(program, io);
  registerVersion(program, io);
  registerPower(program, io);
  registerConsole(program, io, setCode);
  registerSimulate(program, io);
  registerTop(program, io, setCode);
  return withUsage(program, {
    examples: ['hvkit synth && hvkit plan', 'hvkit apply --auto-approve', 'hvkit COMMAND --help  # examples and exit codes of a command'],
    exitCodes: { 2: '`hvkit plan --detailed-exitcode` (and rebuild): the plan has changes' },
  });
}

/** Runs one hvkit command; returns the exit code instead of exiting. */
export async function main(argv: string[], rawIo: Io = processIo()): Promise<number> {
  // Names, state files, saved plans and provider output all end up in what is printed: no control sequence reaches the terminal.
  const io: Io = { ...rawIo, out: (t) => rawIo.out(terminalSafe(t)), err: (t) => rawIo.err(terminalSafe(t)) };
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(terraformStyleFlags(argv));
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    if (isHvkitError(e)) {
      io.err(`Error: ${e.message}\n`);
      return e.exitCode;
    }
    io.err(`hvkit: internal error: ${(e as Error).stack ?? e}\nThis is a bug in hvkit; please report it with the command you ran.\n`);
    return 1;
  } finally {
    // One place for every way a command ends: a pg store's connection (and the session lock
    // it may hold) never outlives the command, and the process is free to exit.
    for (const problem of await closeStores(io)) io.err(`Warning: ${problem}\n`);
  }
}
