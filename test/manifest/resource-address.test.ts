import { describe, expect, it } from 'vitest';
import { parseResourceAddress, resolveResource, resourceName, type AddressEntry } from '../../lib/manifest/resource-address';

const ENTRIES: AddressEntry[] = [
  { kind: 'host', name: 'web-host-01', path: 'tokyo/web-host-01' },
  { kind: 'host', name: 'db', path: 'tokyo/db' },
  { kind: 'guest', name: 'web-01', path: 'tokyo/web-host-01/web-01' },
  { kind: 'guest', name: 'db', path: 'tokyo/db/db' },
  // The same guest as state records it, under the path it was applied from.
  { kind: 'guest', name: 'web-01', path: 'tokyo/old-host/web-01' },
];

describe('resourceName and parseResourceAddress', () => {
  it('build and read back the Terraform address of a guest and a host', () => {
    expect(resourceName('guest', 'web-01')).toBe('guest_web-01');
    expect(parseResourceAddress(`null_resource.${resourceName('guest', 'web-01')}`)).toEqual({ type: 'null_resource', kind: 'guest', name: 'web-01' });
    expect(parseResourceAddress(`terraform_data.${resourceName('host', 'host_1')}`)).toEqual({ type: 'terraform_data', kind: 'host', name: 'host_1' });
  });

  it('reads names and paths as no resource address', () => {
    for (const a of ['web-01', 'tokyo/web-host-01/web-01', 'aws_instance.guest_web-01', 'null_resource.guest_', 'null_resource.vm_web-01']) expect(parseResourceAddress(a)).toBeUndefined();
  });
});

describe('resolveResource', () => {
  it('takes a name, a construct path (either of a guest code and state both know) and a resource address', () => {
    for (const a of ['web-01', 'tokyo/web-host-01/web-01', 'tokyo/old-host/web-01', 'null_resource.guest_web-01', 'terraform_data.guest_web-01']) {
      expect(resolveResource(a, ENTRIES)).toMatchObject({ ok: true, kind: 'guest', name: 'web-01' });
    }
    expect(resolveResource('null_resource.host_db', ENTRIES)).toMatchObject({ ok: true, kind: 'host', name: 'db' });
    expect(resolveResource('tokyo/db/db', ENTRIES)).toMatchObject({ ok: true, kind: 'guest', name: 'db' });
  });

  it('asks for the construct path when a host and a guest share the name', () => {
    expect(resolveResource('db', ENTRIES)).toEqual({ ok: false, error: 'names both a host and a guest; give the construct path of the one you mean (tokyo/db or tokyo/db/db)' });
  });

  it('suggests the closest name in the form the address was given', () => {
    const error = (a: string) => (resolveResource(a, ENTRIES) as { error: string }).error;
    expect(error('web-1')).toBe("no guest or host of that name or construct path in code or state; did you mean 'web-01'?");
    expect(error('tokyo/web-host-1')).toMatch(/did you mean 'tokyo\/web-host-01'\?$/);
    expect(error('null_resource.guest_web-1')).toMatch(/did you mean 'null_resource.guest_web-01'\?$/);
    expect(error('terraform_data.host_web-host-1')).toMatch(/did you mean 'terraform_data.host_web-host-01'\?$/);
    // A host's resource address is matched against hosts only: the guest web-01 is not the host web-01.
    expect(error('null_resource.host_web-01')).not.toContain('did you mean');
  });

  it('suggests nothing for a name far from every known one', () => {
    expect(resolveResource('zzz', ENTRIES, 'state')).toEqual({ ok: false, error: 'no guest or host of that name or construct path in state; `hvkit state list` shows what state records' });
  });
});
