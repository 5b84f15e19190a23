import { describe, expect, it } from 'vitest';
import type { FleetProps, GuestProps, HostProps } from '../../lib/manifest/props';
import { WEB_HOST_8G, manifestOf, problemsOf, web } from '../helpers/fleet';

const build = (guest: Partial<GuestProps>, host: Partial<HostProps> = {}, fleet: FleetProps = {}) =>
  () => manifestOf({ 'web-host-01': { props: { ...WEB_HOST_8G, ...host }, guests: { 'web-01': web('3.5GiB', guest) } } }, fleet);

describe('lifecycle props', () => {
  it('refuses a typo in ignoreChanges in one line naming the construct path and the nearest prop', () => {
    expect(problemsOf(build({ lifecycle: { ignoreChanges: ['memroy' as never] } }))).toEqual([
      "tokyo/web-host-01/web-01: lifecycle.ignoreChanges[0] 'memroy' is not a prop hvkit can ignore: did you mean 'memory'?",
    ]);
  });

  it('reports a fleet’s typo once, at the fleet, not once per guest', () => {
    expect(problemsOf(build({}, {}, { lifecycle: { ignoreChanges: ['vcpu' as never] } }))).toEqual([
      "tokyo: lifecycle.ignoreChanges[0] 'vcpu' is not a prop hvkit can ignore: did you mean 'vcpus'?",
    ]);
  });

  it('refuses ignoring a prop whose change must be planned, listing the ones it can ignore', () => {
    expect(problemsOf(build({ lifecycle: { ignoreChanges: ['disks' as never] } }))).toEqual([
      "tokyo/web-host-01/web-01: lifecycle.ignoreChanges[0] 'disks' cannot be ignored: a change of it replaces or restarts the guest and must be planned (ignorable: cpu, cpuCap, cpuWeight, load, maxMemory, maxVcpus, memory, role, tags, vcpus, all)",
    ]);
  });

  it('refuses unknown lifecycle keys and a preventDestroy that is not a boolean, at the host', () => {
    expect(problemsOf(build({}, { lifecycle: { preventDestory: true, preventDestroy: 'yes' } as never }))).toEqual([
      "tokyo/web-host-01: unknown prop 'lifecycle.preventDestory': did you mean 'lifecycle.preventDestroy'?",
      "tokyo/web-host-01: lifecycle.preventDestroy must be true or false, got the string 'yes'",
    ]);
  });

  it('records the resolved lifecycle on every guest, sorted and without repeats, false and empty by default', () => {
    const m = build({ lifecycle: { ignoreChanges: ['vcpus', 'memory', 'vcpus'] } })();
    expect(m.guests[0].lifecycle).toEqual({ ignoreChanges: ['memory', 'vcpus'], preventDestroy: false });
    expect(build({})().guests[0].lifecycle).toEqual({ ignoreChanges: [], preventDestroy: false });
  });
});
