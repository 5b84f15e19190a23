import type { Command } from 'commander';
import { hostsOf } from '../../ops/refresh';
import { runnerFor } from '../../ops/prepare';
import { sampleLoad, watchLoad } from '../../ops/sample-load';
import { topText } from '../../render/load';
import { canRedraw, ttyTopView } from '../../render/top-view';
import { addFleetOptions, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';
import { withUsage } from '../help';
import { intervalMs, waitLine } from './refresh';

/**
 * `hvkit top`: the load each host and guest of the fleet puts on its host
 * now, like xentop for the whole fleet. Reads only: it writes neither state
 * nor the measured-load window (that is `hvkit refresh`'s), and takes no lock.
 */
export function registerTop(program: Command, io: Io, setCode: (code: number) => void): void {
  const cmd = program.command('top').description('show the load every host and guest puts on the fleet now (CPU cores, IOPS, Mbit/s, memory), heaviest CPU first; refreshes on a terminal')
    .option('--interval <seconds>', 'time between reads of the counters (each screen covers one interval)', '3')
    .option('--once', 'one measurement, then exit (what it does without a terminal)')
    .option('--json', 'one measurement as JSON: {fleet, at, seconds, total, hosts: [{host, load, guests, unmeasured}], failed}');
  withUsage(addFleetOptions(cmd), {
    examples: ['hvkit top   # on a terminal: a new screen every 3 s until Ctrl-C', 'hvkit top --once --interval 5 | sort -k2 -n', 'hvkit top --json | jq \'.hosts[] | {host, cpu: .load.cpu}\''],
    exitCodes: { 0: 'measured (hosts that did not answer are named)', 1: 'the code is not valid, the state cannot be read, or the options are wrong' },
  }).action(async (opts: FleetOptions & { interval: string; once?: boolean; json?: boolean }) => {
    const ms = intervalMs(opts.interval);
    const manifest = await loadFleet(io, opts);
    const state = await (await stateStore(io, opts, manifest)).read();
    const sampling = { runner: runnerFor(io.cwd, io.env), fleet: manifest.fleet, hosts: [...hostsOf(state, manifest).values()] };
    // A terminal without a size (rows 0, as under docker exec or CI) cannot be redrawn: plain lines, as without one.
    if (opts.once || opts.json || !io.isTty || !canRedraw(process.stdout)) {
      const load = await sampleLoad({ ...sampling, intervalMs: ms, onWait: (n) => io.err(`${waitLine(ms, n)} (--interval sets)\n`) });
      io.out(opts.json ? `${JSON.stringify({ fleet: manifest.fleet, seconds: ms / 1000, ...load }, null, 2)}\n` : topText(manifest.fleet, load, ms / 1000));
      return setCode(0);
    }
    // Ctrl-C ends the loop between reads; the screen is left as it was last drawn.
    const stop = new AbortController();
    const onInt = () => stop.abort();
    process.on('SIGINT', onInt);
    const view = await ttyTopView(process.stdout, manifest.fleet, ms / 1000);
    try {
      await watchLoad({ ...sampling, intervalMs: ms, signal: stop.signal }, (load) => view.show(load));
    } finally {
      process.off('SIGINT', onInt);
      view.close();
    }
    setCode(0);
  });
}
