import { describe, expect, it } from 'vitest';
import { nearestName } from '../../lib/manifest/check';
import { nearest } from '../../lib/manifest/names';

describe('nearest', () => {
  const hosts = ['web-host-01', 'web-host-02', 'db-host-01'];

  it('gives the closest names first, ties by name, as many as asked', () => {
    expect(nearest('web-host-1', hosts)).toEqual(['web-host-01']);
    expect(nearest('web-host-9', hosts, { max: 3 })).toEqual(['web-host-01', 'web-host-02']);
  });

  it('suggests no name that is far off', () => {
    expect(nearest('zzz', hosts, { max: 3 })).toEqual([]);
    expect(nearest('web-1', ['db-01'])).toEqual([]);
  });

  it('takes a name cut short as a slip for the longer one', () => {
    expect(nearest('net', ['vcpus', 'netMbps'])).toEqual(['netMbps']);
  });

  it('is the one check.ts suggests props with', () => {
    expect(nearestName('memroy', ['vcpus', 'memory'])).toBe('memory');
    expect(nearestName('zzz', ['vcpus', 'memory'])).toBeUndefined();
  });
});
