import { describe, expect, it } from 'vitest';
import type { GuestProps, HostProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';
import { createPlan, type PlanInput } from '../../lib/plan/planner';
import type { Plan } from '../../lib/plan/types';
import { renderJson } from '../../lib/render/json';
import { renderMarkdown } from '../../lib/render/markdown';
import { style } from '../../lib/render/style';
import { renderText } from '../../lib/render/text';
import { WEB_HOST_8G, manifestOf, memcached, stateOf, web } from '../helpers/fleet';

function fleet(guests: Record<string, GuestProps>, spare: Record<string, GuestProps> = {}): Manifest {
  return manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests }, 'web-host-02': { props: WEB_HOST_8G, guests: spare } });
}

const deployed = fleet({ 'web-01': web('3.5GiB'), 'mc-01': memcached() });
/** The deployed fleet with web-host-01 changed: its guests' images would be at other paths, or made by another provider. */
const hostChanged = (host: Partial<HostProps>): Manifest => manifestOf({ 'web-host-01': { props: { ...WEB_HOST_8G, ...host }, guests: { 'web-01': web('3.5GiB'), 'mc-01': memcached() } }, 'web-host-02': { props: WEB_HOST_8G, guests: {} } });
const onto = fleet({ 'mc-01': memcached() }, { 'web-01': web('3.5GiB') });
const plan = (code: Manifest, extra: Partial<PlanInput> = {}): Plan => createPlan({ manifest: code, state: stateOf(deployed), ...extra });

const DESTROYS = 'destroys 20GiB on sda of web-host-01';
const LEFT = 'recreated with empty disks: 20GiB on sda of web-host-01 not carried over';

/** Every change that loses web-01's 20 GiB disk, with the words each rendering must show and its summary line. */
const CASES: [string, () => Plan, string, string][] = [
  ['delete', () => plan(fleet({ 'mc-01': memcached() })), DESTROYS, 'Plan: 0 to create, 0 to update in place, 0 to migrate, 1 to destroy (destroys 20GiB).'],
  ['replace by a mode change', () => plan(fleet({ 'web-01': web('3.5GiB', { mode: 'hvm' }), 'mc-01': memcached() })), DESTROYS, 'Plan: 0 to create, 0 to update in place, 1 to replace (destroys 20GiB), 0 to migrate, 0 to destroy.'],
  ['disk shrink', () => plan(fleet({ 'web-01': web('3.5GiB', { disks: [{ size: '10GiB', on: 'sda' }] }), 'mc-01': memcached() })), DESTROYS, 'Plan: 0 to create, 0 to update in place, 1 to replace (destroys 20GiB), 0 to migrate, 0 to destroy.'],
  ['rebuild in place', () => plan(deployed, { rebuild: { guests: ['web-01'], host: 'web-host-01' } }), DESTROYS, 'Plan: 0 to create, 0 to update in place, 1 to replace (destroys 20GiB), 0 to migrate, 0 to destroy.'],
  ['rebuild --to (recreate)', () => plan(onto, { rebuild: { guests: ['web-01'], host: 'web-host-01', to: 'web-host-02' } }), LEFT, 'Plan: 0 to create, 0 to update in place, 1 to replace (20GiB not carried over), 0 to migrate, 0 to destroy.'],
  ['host storageDir change (new image paths)', () => plan(hostChanged({ storageDir: '/srv/hvkit' })), LEFT, 'Plan: 0 to create, 0 to update in place, 1 to replace (20GiB not carried over), 0 to migrate, 0 to destroy; 1 host change.'],
  ['forced rebuild --to (destroy-copy)', () => plan(onto, { rebuild: { guests: ['web-01'], host: 'web-host-01', to: 'web-host-02', forced: ['web-01'] } }), DESTROYS, 'Plan: 0 to create, 0 to update in place, 1 to replace (destroys 20GiB), 0 to migrate, 0 to destroy.'],
];

describe('renderers name the data a change loses, with sizes', () => {
  it.each(CASES)('%s: text, under the change and in the summary line', (_, make, words, summary) => {
    const out = renderText(make(), style(false));
    expect(out).toMatch(new RegExp(`  . (replace|destroy) web-01 on web-host-0[12]  \\(tokyo/web-host-0[12]/web-01\\)\\n      DATA LOSS: ${words.replace(/[()]/g, '\\$&')}\\n`));
    expect(out.trimEnd().split('\n').pop()).toBe(summary);
  });

  it.each(CASES)('%s: markdown, first, in a warning block', (_, make, words, summary) => {
    const md = renderMarkdown(make());
    const alert = md.indexOf('> [!WARNING]\n> **This change loses guest data:**\n> - ');
    expect(alert).toBeGreaterThan(md.indexOf(`**${summary}**`));
    expect(md.slice(alert)).toMatch(/^> \[!WARNING\]\n.*\n> - `[-±]` \*\*(replace|destroy) web-01 on web-host-0[12]\*\* — \*\*(destroys|recreated) /);
    expect(md).toContain(`**${words.replace(/[()]/g, '\\$&')}**`);
    // Before every other section, and not listed again under Changes.
    for (const section of ['#### Errors', '#### Fit', '#### Changes']) if (md.includes(section)) expect(md.indexOf(section)).toBeGreaterThan(alert);
    expect(md.slice(md.indexOf('#### Changes') >= 0 ? md.indexOf('#### Changes') : md.length)).not.toContain('web-01 on');
  });

  it.each(CASES)('%s: JSON, under hvkit.data_loss of the resource change', (_, make) => {
    const doc = JSON.parse(renderJson(make(), 'null_resource', { timestamp: new Date(0) }));
    const rc = doc.resource_changes.find((c: { address: string }) => c.address === 'null_resource.guest_web-01');
    expect(rc.hvkit.data_loss).toEqual({ kind: expect.stringMatching(/^(destroyed|left-behind)$/), disks: [{ disk: 0, sizeMiB: 20480, hostDisk: 'sda', host: 'web-host-01' }], totalMiB: 20480 });
  });

  it('leaves the JSON of a change that keeps its disks without data_loss', () => {
    const doc = JSON.parse(renderJson(plan(fleet({ 'web-01': web('4GiB'), 'mc-01': memcached() })), 'null_resource', { timestamp: new Date(0) }));
    for (const rc of doc.resource_changes) expect(Object.keys(rc.hvkit)).not.toContain('data_loss');
  });

  it('counts restarts apart from live updates in the summary, and says nothing extra without them', () => {
    const both = plan(fleet({ 'web-01': web('4GiB'), 'mc-01': memcached({ vcpus: 2 }) }));
    expect(renderText(both, style(false)).trimEnd().split('\n').pop()).toBe('Plan: 0 to create, 2 to update in place (1 with restart), 0 to migrate, 0 to destroy.');
    const live = plan(fleet({ 'web-01': web('4GiB'), 'mc-01': memcached() }));
    expect(renderText(live, style(false)).trimEnd().split('\n').pop()).toBe('Plan: 0 to create, 1 to update in place, 0 to migrate, 0 to destroy.');
    expect(renderMarkdown(live)).not.toContain('[!WARNING]');
  });

  it('names every disk of a guest with several, and the total', () => {
    const two = fleet({ 'web-01': web('3.5GiB', { disks: [{ size: '20GiB', on: 'sda' }, { size: '10GiB', on: 'sda' }] }) });
    const p = createPlan({ manifest: fleet({}), state: stateOf(two) });
    expect(renderText(p, style(false))).toContain('DATA LOSS: destroys 30GiB on web-host-01: disk 0 (20GiB on sda), disk 1 (10GiB on sda)');
  });
});

describe('renderMarkdown with many changes that lose data', () => {
  it('keeps 500 deletes under GitHub’s limit, the warning block first and saying what it cut', () => {
    const guests = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`w-${String(i).padStart(3, '0')}`, web('64MiB', { maxMemory: '64MiB', disks: [{ size: '1GiB', on: 'sda' }] })]));
    const big = manifestOf({ 'web-host-01': { props: { ...WEB_HOST_8G, cpu: { cores: 64, threads: 128 } }, guests } });
    const md = renderMarkdown(createPlan({ manifest: manifestOf({ 'web-host-01': { props: WEB_HOST_8G } }), state: stateOf(big) }));
    expect(md.length).toBeLessThanOrEqual(65_536);
    expect(md).toContain('> **These 500 changes lose guest data:**');
    expect(md).toMatch(/> _… \d+ more not shown \(comment size limit\); the summary line counts them all; run `hvkit plan` for the full list._/);
    expect(md).toContain('500 to destroy (destroys 500GiB)');
  });
});
