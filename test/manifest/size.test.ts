import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from '../../lib/manifest/size';

describe('parseSize', () => {
  it.each([
    ['512MiB', 512], ['5.5GiB', 5632], ['1TiB', 1048576], ['1PiB', 1073741824], [' 2 GiB ', 2048], [4096, 4096],
  ])('reads %j as %i MiB', (input, mib) => {
    expect(parseSize(input)).toEqual({ ok: true, mib });
  });

  it.each(['8 gigs', '4GB', '', '1.5MiB', 'NaN'])('refuses %j', (input) => {
    expect(parseSize(input).ok).toBe(false);
  });

  it('names the 1 PiB limit in a unit it also reads', () => {
    expect(parseSize('2PiB')).toEqual({ ok: false, error: "size '2PiB' is more than 1PiB" });
    expect(parseSize('1.5PB')).toMatchObject({ ok: false, error: expect.stringContaining("write '1.5PiB'") });
  });

  it('refuses negative and fractional numbers of MiB', () => {
    expect(parseSize(-1).ok).toBe(false);
    expect(parseSize(1.5).ok).toBe(false);
  });
});

describe('formatSize', () => {
  it.each([[8192, '8GiB'], [5632, '5.5GiB'], [700, '700MiB'], [1048576, '1TiB']])('shows %i MiB as %s', (mib, text) => {
    expect(formatSize(mib)).toBe(text);
  });
});
