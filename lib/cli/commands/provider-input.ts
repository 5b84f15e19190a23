import type { Command } from 'commander';
import { HvkitError } from '../../errors';
import { renderConfig } from '../../hypervisor/render';
import { loadManifest } from '../../manifest/load';
import { placedView } from '../../plan/placement';
import type { Io } from '../context';
import { withUsage } from '../help';

/** Hidden: builds a provider script's stdin from a manifest, for Terraform's local-exec. */
export function registerProviderInput(program: Command, io: Io): void {
  withUsage(
    program
      .command('provider-input', { hidden: true })
      .description("print a provider script's stdin for a guest of a manifest (Terraform's local-exec runs it)")
      .requiredOption('--manifest <file>')
      .requiredOption('--guest <name>')
      .requiredOption('--verb <verb>'),
    {
      examples: ['hvkit provider-input --manifest cdktf.out/stacks/tokyo/hvkit.manifest.json --guest web-01 --verb create | providers/local/create'],
      exitCodes: { 1: 'the manifest cannot be read, or has no such guest' },
    },
  ).action((opts: { manifest: string; guest: string; verb: string }) => {
      // Terraform runs without hvkit's state: a guest code leaves without a host goes where placement puts it on the code alone.
      const m = placedView(loadManifest(opts.manifest), undefined);
      const guest = m.guests.find((g) => g.name === opts.guest);
      if (!guest) throw new HvkitError(`${opts.manifest}: no guest '${opts.guest}'`);
      const host = m.hosts.find((h) => h.name === guest.host)!;
      io.out(JSON.stringify({ fleet: m.fleet, host, guest, config: renderConfig(host, guest) }) + '\n');
    });
}
