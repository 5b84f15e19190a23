import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from '../../lib/manifest/size';

describe('parseSize', () => {
  it.each([
    ['512MiB', 512], ['5.5GiB', 5632], ['1TiB', 1048576], [' 2 GiB ', 2048], [4096, 4096],
  ])('reads %j as %i MiB', (input, mib) => {
    expect(parseSize(input)).toEqual({ ok: true, mib });
  });

  it.each(['8 gigs', '4GB', '', '1.5MiB', 'NaN'])('refuses %j', (input) => {
    expect(parseSize(input).ok).toBe(false);
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
