import { describe, expect, it } from 'vitest';
import { createPlan } from '../../lib/plan/planner';
import { markerOf } from '../../lib/render/describe';
import type { GuestChange, Plan } from '../../lib/plan/types';
import { WEB_HOST_4G, WEB_HOST_8G, manifestOf, memcached, stateOf, web } from '../helpers/fleet';

const before = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
const state = stateOf(before);
const guest = (p: Plan, name: string) => p.changes.find((c) => c.kind === 'guest' && c.name === name) as GuestChange;
const planWith = (hosts: Parameters<typeof manifestOf>[0]) => createPlan({ manifest: manifestOf(hosts), state });

describe('diff: guest actions', () => {
  it('creates a guest that is only in code', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'old-01': web('1GiB'), 'mc-01': memcached() } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'mc-01')).toMatchObject({ action: 'create', before: null, reason: 'new guest' });
    expect(p.steps.map((s) => s.id)).toEqual(['create:mc-01']);
  });

  it('deletes a guest that is only in state', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'old-01')).toMatchObject({ action: 'delete', after: null });
    expect(p.steps.map((s) => s.kind)).toEqual(['destroy']);
  });

  it('grows memory in place while running, up to maxMemory', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'web-01')).toMatchObject({ action: 'update', restart: false, reason: 'memory 3.5GiB → 5.5GiB while running' });
    expect(p.steps.map((s) => s.kind)).toEqual(['update-live']);
  });

  it('shows a change past maxMemory as an update with a restart', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { maxMemory: '6GiB' }), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'web-01')).toMatchObject({ action: 'update', restart: true, reason: 'maxMemoryMiB changed: needs a restart' });
    expect(p.steps.map((s) => s.kind)).toEqual(['update-restart']);
  });

  it('replaces a guest whose mode changes, with the reason', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { mode: 'hvm' }), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'web-01')).toMatchObject({ action: 'replace', reason: 'mode pv → hvm cannot change on an existing domain' });
  });

  it('replaces a guest whose disk shrinks', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { disks: [{ size: '10GiB', on: 'sda' }] }), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'web-01').reason).toBe('disk 0 shrinks 20GiB → 10GiB (images cannot shrink safely)');
  });

  it('migrates a guest whose host changes — never destroy + create', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } }, 'web-host-02': { props: WEB_HOST_8G, guests: { 'old-01': web('1GiB') } } });
    expect(guest(p, 'old-01')).toMatchObject({ action: 'migrate', reason: 'moves web-host-01 → web-host-02' });
    expect(p.steps.map((s) => [s.kind, s.host, s.target])).toEqual([['migrate', 'web-host-01', 'web-host-02']]);
  });

  it('records a role or load change without touching the hypervisor', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { load: { cpu: 2 } }), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'web-01')).toMatchObject({ action: 'update', recordOnly: true });
    expect(p.steps.map((s) => s.kind)).toEqual(['update-record']);
  });

  it('leaves an unchanged guest as noop with no step', () => {
    const p = createPlan({ manifest: before, state });
    expect(p.changes.every((c) => c.action === 'noop')).toBe(true);
    expect(p.steps).toEqual([]);
  });
});

describe('diff: host actions', () => {
  it('adds a new host', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G }, 'web-host-03': { props: WEB_HOST_8G } });
    expect(p.changes.find((c) => c.name === 'web-host-03')).toMatchObject({ kind: 'host', action: 'add' });
  });

  it('plans a memory upgrade when the DIMMs change', () => {
    const m4 = manifestOf({ 'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('3.5GiB') } } });
    const p = createPlan({ manifest: manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } }), state: stateOf(m4) });
    expect(p.changes[0]).toMatchObject({ action: 'upgrade-memory', reason: expect.stringContaining('4×1GiB → 4×2GiB (4GiB → 8GiB)') });
  });

  it('labels a DIMM removal a memory downgrade, and its step carries the memory before', () => {
    const m8 = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } });
    const p = createPlan({ manifest: manifestOf({ 'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('3.5GiB') } } }), state: stateOf(m8) });
    expect(p.changes[0]).toMatchObject({ action: 'upgrade-memory', reason: expect.stringMatching(/^memory downgrade: 4×2GiB → 4×1GiB \(8GiB → 4GiB\)/) });
    expect(p.steps[0]).toMatchObject({ kind: 'upgrade-memory', memoryBeforeMiB: 8192, description: 'check web-host-01 has exactly 4GiB installed (memory downgrade)' });
    expect(markerOf(p.changes[0])).toEqual({ marker: '~', verb: 'downgrade memory' });
  });

  it('retires a host that left the code once its guests are gone', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'old-01': web('1GiB') } } });
    expect(p.changes.find((c) => c.name === 'web-host-02')).toMatchObject({ action: 'retire' });
    expect(p.applyable).toBe(true);
  });
});
