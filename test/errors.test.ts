import { describe, expect, it } from 'vitest';
import { ValidationError } from '../lib/errors';

describe('ValidationError', () => {
  it('says "in the fleet" when every problem is in one fleet', () => {
    const e = new ValidationError([{ path: 'tokyo/h1/g1', message: 'a' }, { path: 'tokyo/h1', message: 'b' }]);
    expect(e.message).toBe('2 problems in the fleet:\n  tokyo/h1/g1: a\n  tokyo/h1: b');
  });

  it('names the fleets when problems come from several', () => {
    const e = new ValidationError([{ path: 'tokyo/h1/g1', message: 'a' }, { path: 'osaka/h2', message: 'b' }]);
    expect(e.message.split('\n')[0]).toBe('2 problems in 2 fleets (osaka, tokyo):');
  });
});
