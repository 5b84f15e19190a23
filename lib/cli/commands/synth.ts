import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runApp } from '../../synth/run-app';
import type { Io } from '../context';

export function registerSynth(program: Command, io: Io): void {
  program
    .command('synth')
    .description('run the fleet app and write Terraform JSON and the manifest to cdktf.out/stacks/<fleet>/')
    .option('--app <command>', 'command that runs the fleet app (default: "app" in cdktf.json)')
    .option('--output <dir>', 'output folder', 'cdktf.out')
    .action(async (opts: { app?: string; output: string }) => {
      const outdir = resolve(io.cwd, opts.output);
      const manifests = await runApp({ projectDir: io.cwd, app: opts.app, mode: 'full', outdir, env: io.env });
      for (const m of manifests) {
        io.out(`${m.fleet}: ${m.hosts.length} hosts, ${m.guests.length} guests → ${join(opts.output, 'stacks', m.fleet)}/{cdk.tf.json,hvkit.manifest.json}\n`);
      }
    });
}
