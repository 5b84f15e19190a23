import type { Command } from 'commander';
import { HvkitError } from '../../errors';
import { powerGuest, type PowerAction } from '../../ops/power';
import { parseDuration } from '../../state/lock-wait';
import { addFleetOptions, addLockTimeoutOption, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';
import { withUsage } from '../help';
import { fleetNameOf, fleetTarget } from './lookups';

interface PowerFlags extends FleetOptions {
  host?: string;
  force?: boolean;
  timeout?: string;
}

const ABOUT: Record<PowerAction, { description: string; force?: string; done: string; examples: string[] }> = {
  start: {
    description: 'start a stopped guest through its host\'s provider, and record it running',
    done: 'Started',
    examples: ['hvkit start web-01', 'hvkit start web-01 --host db-host-01   # a guest state does not record there'],
  },
  stop: {
    description: 'shut a guest down cleanly (its domain, config and disks stay), and record it stopped',
    force: 'power it off at once (virsh destroy / xl destroy: a power-off, nothing is deleted)',
    done: 'Stopped',
    examples: ['hvkit stop web-01', 'hvkit stop web-01 --timeout 30s   # forced off if not down in 30s', 'hvkit stop web-01 --force   # pull the plug'],
  },
  reboot: {
    description: 'reboot a running guest through its host\'s provider',
    force: 'hard reset without asking the guest (virsh reset; on xen a power-off and a fresh start)',
    done: 'Rebooted',
    examples: ['hvkit reboot web-01', 'hvkit reboot web-01 --force   # hard reset'],
  },
};

/** `hvkit start | stop | reboot GUEST`: remote power control, the hypervisor standing in for IPMI. */
export function registerPower(program: Command, io: Io): void {
  for (const action of ['start', 'stop', 'reboot'] as const) {
    const about = ABOUT[action];
    let cmd = program.command(`${action} <guest>`).description(about.description)
      .option('--host <host>', 'the host to ask (default: where state records the guest)');
    if (about.force) cmd = cmd.option('--force', about.force);
    if (action === 'stop') cmd = cmd.option('--timeout <duration>', 'how long the clean shutdown may take before the guest is forced off (default: the provider\'s, 60s for libvirt)');
    withUsage(addLockTimeoutOption(addFleetOptions(cmd)), { examples: about.examples, exitCodes: {} })
      .action(async (guest: string, opts: PowerFlags) => {
        const graceMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
        if (graceMs === undefined && opts.timeout !== undefined) throw new HvkitError(`--timeout must be a duration such as 30s or 2m, got '${opts.timeout}'`);
        const target = await fleetTarget(io, opts);
        const fleet = fleetNameOf(target);
        const r = await powerGuest({
          store: await stateStore(io, opts, target), projectDir: io.cwd, env: io.env, guest, host: opts.host, action,
          force: opts.force === true, graceMs, code: async () => (typeof target === 'string' ? loadFleet(io, { ...opts, fleet }) : target),
        });
        const done = r.already ? `${r.guest} is already ${r.power === 'running' ? 'running' : 'shut off'} on ${r.host}` : `${about.done} ${r.guest} on ${r.host}`;
        io.out(`${done}${r.recorded ? `; state records it ${r.power}` : ` (state does not record ${r.guest} on ${r.host}: nothing recorded)`}.\n`);
        if (r.unlockWarning) io.err(`Warning: ${r.unlockWarning}\n`);
      });
  }
}
