import { describe, expect, it } from 'vitest';
import { HvkitError, isHvkitError, isValidationError, ValidationError } from '../lib/errors';

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

/** The brand every copy of hvkit puts on its errors. */
const BRAND: unique symbol = Symbol.for('hvkit.error');

/** An HvkitError of another copy of hvkit (an app's bundle has its own classes): same brand, another class. */
class OtherCopyValidationError extends Error {
  readonly [BRAND] = true;
  readonly exitCode = 1;
  constructor(readonly problems: { path: string; message: string }[]) {
    super(`${problems.length} problems in the fleet`);
    this.name = 'ValidationError';
  }
}

describe('isHvkitError / isValidationError (hvkit errors from any copy of hvkit)', () => {
  it('recognises an error of another copy by its brand, which instanceof cannot', () => {
    const e = new OtherCopyValidationError([{ path: 'tokyo/h1', message: 'too big' }]);
    expect(e instanceof HvkitError).toBe(false);
    expect(isHvkitError(e)).toBe(true);
    expect(isValidationError(e)).toBe(true);
  });

  it('recognises its own errors, and a ValidationError only when it has problems', () => {
    expect(isHvkitError(new HvkitError('x'))).toBe(true);
    expect(isValidationError(new HvkitError('x'))).toBe(false);
    expect(isValidationError(new ValidationError([{ path: 'tokyo', message: 'x' }]))).toBe(true);
  });

  it('takes nothing else for one: a plain Error, an error named like hvkit’s, a look-alike object', () => {
    const named = Object.assign(new Error('x'), { name: 'HvkitError', exitCode: 1 });
    expect([new Error('x'), named, { message: 'x', exitCode: 1 }, null, 'HvkitError'].map(isHvkitError)).toEqual([false, false, false, false, false]);
  });
});
