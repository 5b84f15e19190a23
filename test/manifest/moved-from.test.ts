import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../lib/manifest/build';
import type { FleetInput, GuestProps } from '../../lib/manifest/props';
import { WEB_HOST_8G, manifestOf, problemsOf, web } from '../helpers/fleet';

/** One host with `pinned` guests, and `floating` guests created in the Fleet (hvkit places them). */
function fleet(pinned: Record<string, GuestProps>, floating: Record<string, GuestProps> = {}): FleetInput {
  return {
    name: 'tokyo', path: 'tokyo', props: {},
    hosts: [{ name: 'web-host-01', path: 'tokyo/web-host-01', props: WEB_HOST_8G, guests: Object.entries(pinned).map(([name, props]) => ({ name, path: `tokyo/web-host-01/${name}`, props })) }],
    guests: Object.entries(floating).map(([name, props]) => ({ name, path: `tokyo/${name}`, props: { ...props, disks: [{ size: '10GiB' }] } as GuestProps })),
  };
}

describe('buildManifest: movedFrom checked against the rest of the code', () => {
  it('refuses movedFrom naming a guest still in code, so validate and synth say what plan says', () => {
    expect(problemsOf(() => manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB'), 'web-02': web('1GiB', { movedFrom: 'web-01' }) } } }))).toEqual([
      "tokyo/web-host-01/web-02: movedFrom 'web-01': web-01 is still in code (tokyo/web-host-01/web-01): remove that guest, or remove movedFrom from web-02",
    ]);
  });

  it('counts guests hvkit places on either side of the rename', () => {
    expect(problemsOf(() => buildManifest(fleet({ 'web-01': web('1GiB') }, { 'web-09': web('1GiB', { movedFrom: 'web-01' }) })))).toEqual([
      "tokyo/web-09: movedFrom 'web-01': web-01 is still in code (tokyo/web-host-01/web-01): remove that guest, or remove movedFrom from web-09",
    ]);
    expect(problemsOf(() => buildManifest(fleet({ 'web-02': web('1GiB', { movedFrom: 'web-09' }) }, { 'web-09': web('1GiB') })))).toEqual([
      "tokyo/web-host-01/web-02: movedFrom 'web-09': web-09 is still in code (tokyo/web-09): remove that guest, or remove movedFrom from web-02",
    ]);
  });

  it('refuses two guests moved from one name, naming the first in name order', () => {
    expect(problemsOf(() => buildManifest(fleet({ 'web-05': web('1GiB', { movedFrom: 'web-01' }) }, { 'web-03': web('1GiB', { movedFrom: 'web-01' }) })))).toEqual([
      "tokyo/web-host-01/web-05: movedFrom 'web-01': web-03 (tokyo/web-03) is moved from web-01 too: only one guest can take its place; remove movedFrom from one of them",
    ]);
  });

  it('accepts a rename from a name no guest of code has, and one kept in code after it was applied', () => {
    const m = buildManifest(fleet({ 'web-02': web('1GiB', { movedFrom: 'web-01' }) }, { 'web-09': web('1GiB', { movedFrom: 'web-08' }) }));
    expect(m.guests.map((g) => g.movedFrom)).toEqual(['web-01']);
    expect(m.unplaced?.map((g) => g.movedFrom)).toEqual(['web-08']);
  });
});
