import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { quote } from 'shell-quote';
import type { Manifest } from '../../manifest/types';
import { consoleCommand, needsCode } from '../../ops/power';
import { addFleetOptions, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';
import { withUsage } from '../help';
import { fleetNameOf, fleetTarget } from './lookups';

/** Words every POSIX shell reads as they are; shell-quote escapes `@ : =` too, which is valid but hard to read. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** The command as one line to paste into a shell. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((w) => (PLAIN.test(w) ? w : quote([w]))).join(' ');
}

/**
 * `hvkit console GUEST`: the provider's console command, run with the
 * terminal (a TTY) or printed shell-quoted for copying (no TTY, `--print`).
 */
export function registerConsole(program: Command, io: Io, setCode: (code: number) => void): void {
  const cmd = program.command('console <guest>').description("open a guest's console through its host's provider (virsh console, xl console)")
    .option('--host <host>', 'the host to ask (default: where state records the guest)')
    .option('--print', 'print the command instead of running it');
  withUsage(addFleetOptions(cmd), {
    examples: ['hvkit console web-01', 'hvkit console web-01 --print   # virsh --connect=qemu+ssh://root@web-host-01/system console --domain web-01'],
    exitCodes: { 0: 'success (printed), or the console command\'s own status when it ran' },
  }).action(async (guest: string, opts: FleetOptions & { host?: string; print?: boolean }) => {
    const target = await fleetTarget(io, opts);
    const fleet = fleetNameOf(target);
    const state = await (await stateStore(io, opts, target)).read();
    const manifest: Manifest | undefined = !needsCode(state, guest, opts.host) ? undefined : typeof target === 'string' ? await loadFleet(io, { ...opts, fleet }) : target;
    const { command } = await consoleCommand({ state, manifest, projectDir: io.cwd, env: io.env, guest, host: opts.host });
    if (opts.print || !io.isTty) {
      io.out(`${shellLine(command)}\n`);
      return setCode(0);
    }
    const r = spawnSync(command[0], command.slice(1), { cwd: io.cwd, env: io.env, stdio: 'inherit' });
    setCode(r.error ? 1 : (r.status ?? 1));
    if (r.error) io.err(`Error: cannot run ${command[0]}: ${r.error.message}\n`);
  });
}
