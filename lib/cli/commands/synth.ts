import { isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { pruneStaleFleets } from '../../synth/prune-output';
import { synthApp } from '../../synth/run-app';
import type { Io } from '../context';

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Relative inside the project; absolute elsewhere (cdktf's Testing.app() writes to a temp folder). */
function shortPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

export function registerSynth(program: Command, io: Io): void {
  program
    .command('synth')
    .description('run the fleet app and write Terraform JSON and the manifest to cdktf.out/stacks/<fleet>/')
    .option('--app <command>', 'command that runs the fleet app (default: "app" in cdktf.json)')
    .option('--output <dir>', 'output folder', 'cdktf.out')
    .action(async (opts: { app?: string; output: string }) => {
      const outdir = resolve(io.cwd, opts.output);
      const run = await synthApp({ projectDir: io.cwd, app: opts.app, mode: 'full', outdir, env: io.env });
      for (const m of run.manifests) {
        const out = shortPath(io.cwd, run.outputs.get(m.fleet) ?? resolve(outdir, 'stacks', m.fleet));
        io.out(`${m.fleet}: ${count(m.hosts.length, 'host')}, ${count(m.guests.length, 'guest')} → ${out}/{cdk.tf.json,hvkit.manifest.json}\n`);
      }
      for (const { fleet, kept } of pruneStaleFleets(outdir, new Set(run.manifests.map((m) => m.fleet)))) {
        const left = kept.length ? ` (kept ${kept.join(', ')})` : '';
        io.out(`${fleet}: no longer in the app, its output removed from ${shortPath(io.cwd, resolve(outdir, 'stacks', fleet))}${left}\n`);
      }
    });
}
