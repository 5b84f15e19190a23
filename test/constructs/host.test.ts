import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { Guest, Host } from '../../lib/constructs/host';
import { HostGroup } from '../../lib/constructs/host-group';
import { ValidationError } from '../../lib/errors';

const problem = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).problems.map((p) => `${p.path}: ${p.message}`).join('\n');
  }
  throw new Error('expected an error');
};
const none = undefined as unknown as Construct;

describe('constructs without a scope', () => {
  it("refuses new Guest(undefined, 'x') (hosts[0] of an empty array) in one line naming the id, instead of dropping the guest", () => {
    const hosts: Host[] = [];
    expect(problem(() => new Guest(hosts[0], 'x', { role: 'app', vcpus: 1, memory: '1GiB' }))).toBe(
      "x: new Guest(undefined, 'x', …) has no scope: pass the Host, HostGroup or Fleet it belongs in (is it an element of an empty array?)",
    );
  });

  it('refuses a Host or HostGroup without a scope the same way', () => {
    expect(problem(() => new Host(none, 'h1', { cpu: { cores: 1, threads: 1 }, memory: { slots: 1, maxDimm: '1GiB', dimms: ['1GiB'] }, disks: [] }))).toMatch(/^h1: new Host\(undefined, 'h1', …\) has no scope: pass the Fleet or HostGroup/);
    expect(problem(() => new HostGroup(none, 'g'))).toMatch(/^g: new HostGroup\(undefined, 'g', …\) has no scope: pass the Fleet/);
  });
});
