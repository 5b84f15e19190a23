import { isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { appIdentity, parseCommand } from '../../synth/app-command';
import { describePrune, markFleetOutputs, pruneStaleFleets } from '../../synth/prune-output';
import { synthApp } from '../../synth/run-app';
import type { Io } from '../context';
import { withUsage } from '../help';

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Relative inside the project; absolute elsewhere (cdktf's Testing.app() writes to a temp folder). */
function shortPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

export function registerSynth(program: Command, io: Io): void {
  withUsage(
    program
      .command('synth')
      .description('run the fleet app and write Terraform JSON and the manifest to cdktf.out/stacks/<fleet>/')
      .option('--app <command>', 'command that runs the fleet app (default: "app" in cdktf.json)')
      .option('--output <dir>', 'output folder', 'cdktf.out'),
    {
      examples: ['hvkit synth                                # tokyo: 4 hosts, 6 guests → cdktf.out/stacks/tokyo/…', 'hvkit synth --app "npx tsx stacks/other.ts"'],
      exitCodes: { 1: 'the code is not valid (every problem, with its construct path), or the app failed' },
    },
  ).action(async (opts: { app?: string; output: string }) => {
      const outdir = resolve(io.cwd, opts.output);
      const run = await synthApp({ projectDir: io.cwd, app: opts.app, mode: 'full', outdir, env: io.env });
      const app = appIdentity(parseCommand(io.cwd, opts.app));
      const dirOf = (fleet: string) => run.outputs.get(fleet) ?? resolve(outdir, 'stacks', fleet);
      for (const m of run.manifests) {
        io.out(`${m.fleet}: ${count(m.hosts.length, 'host')}, ${count(m.guests.length + (m.unplaced?.length ?? 0), 'guest')} → ${shortPath(io.cwd, dirOf(m.fleet))}/{cdk.tf.json,hvkit.manifest.json}\n`);
      }
      markFleetOutputs(run.manifests.map((m) => dirOf(m.fleet)), app);
      const pruned = pruneStaleFleets(outdir, new Set(run.manifests.map((m) => m.fleet)), app);
      for (const line of describePrune(pruned, (fleet) => shortPath(io.cwd, resolve(outdir, 'stacks', fleet)))) io.out(`${line}\n`);
    });
}
