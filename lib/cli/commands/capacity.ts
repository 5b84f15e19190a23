import type { Command } from 'commander';
import type { Headroom, Shape } from '../../capacity/headroom';
import { formatSize } from '../../manifest/size';
import { fleetHeadroom, headroomJson, parseShape } from '../../ops/capacity';
import { addFleetOptions, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';
import { withUsage } from '../help';
import { table } from './lookups';

interface CapacityOptions extends FleetOptions {
  shape: string;
  json?: boolean;
}

function shapeText(s: Shape): string {
  return `${s.vcpus} vCPU${s.vcpus === 1 ? '' : 's'}, ${formatSize(s.memoryMiB)} memory${s.diskMiB ? `, ${formatSize(s.diskMiB)} disk` : ''}`;
}

function totalsLine(h: Headroom): string {
  const n1 = h.beyondNPlusOne.length
    ? `0 keeping N+1: the fleet already cannot absorb the loss of ${h.beyondNPlusOne.join(', ')} (\`hvkit plan\` says what would be left without a host)`
    : `${h.totalNPlusOne} keeping N+1 (the fleet can still lose any one host and recreate its guests)`;
  return `Total: ${h.total} more fit; ${n1}.\n`;
}

export function registerCapacity(program: Command, io: Io): void {
  withUsage(addFleetOptions(
    program
      .command('capacity')
      .description('how many more guests of a shape fit, per host and in total, with and without keeping N+1 (as code leaves the fleet); keeping N+1: the longest run of them placement would add one after another that still lets the fleet lose any one host')
      .requiredOption('--shape <shape>', 'the guest size: vcpus=N,memory=SIZE[,disk=SIZE] (sizes as in code: 512MiB, 4GiB)')
      .option('--json', 'print JSON: total, totalNPlusOne, hosts [{host, fits, limitedBy}]'),
  ), {
    examples: [
      'hvkit capacity --shape vcpus=2,memory=4GiB,disk=40GiB',
      "hvkit capacity --shape vcpus=4,memory=8GiB --json | jq '.totalNPlusOne'",
    ],
    exitCodes: { 1: 'a mistake in --shape (the message names it), or the code cannot be read' },
  }).action(async (opts: CapacityOptions) => {
    const shape = parseShape(opts.shape);
    const manifest = await loadFleet(io, opts);
    // State says where guests hvkit placed already run (placement is sticky).
    const state = manifest.unplaced ? await (await stateStore(io, opts, manifest)).read() : undefined;
    const h = fleetHeadroom(manifest, state, shape);
    // On stderr, so --json keeps its keys: the counts leave these guests out.
    if (h.unplaceable.length) io.err(`Warning: ${h.unplaceable.length} guest${h.unplaceable.length === 1 ? '' : 's'} code leaves to placement fit${h.unplaceable.length === 1 ? 's' : ''} no host and ${h.unplaceable.length === 1 ? 'is' : 'are'} not counted (${h.unplaceable.join(', ')}); \`hvkit plan\` says why\n`);
    if (opts.json) {
      io.out(JSON.stringify(headroomJson(h), null, 2) + '\n');
      return;
    }
    io.out(`Guests of ${shapeText(shape)} that still fit in fleet ${manifest.fleet}, as code leaves it:\n`);
    io.out(await table(['HOST', 'FITS', 'LIMITED BY', 'KEEPING N+1'], h.hosts.map((r) => [r.host, String(r.fits), r.limitedBy, String(r.fitsNPlusOne)])));
    io.out(totalsLine(h));
  });
}
