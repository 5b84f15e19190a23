import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { checkApp } from '../../lib/constructs/private/check-app';

/** The brand every copy of hvkit puts on its errors. */
const BRAND: unique symbol = Symbol.for('hvkit.error');

/** A ValidationError of another copy of hvkit (a library the app uses may bundle its own): the brand, another class. */
class OtherCopyValidationError extends Error {
  readonly [BRAND] = true;
  readonly exitCode = 1;
  constructor(readonly problems: { path: string; message: string }[]) {
    super('1 problem in the fleet');
    this.name = 'ValidationError';
  }
}

class FleetOfAnotherCopy extends Construct {
  manifest(): unknown {
    throw new OtherCopyValidationError([{ path: `${this.node.path}/h1`, message: 'memory.dimms[0] 8GiB exceeds maxDimm 4GiB' }]);
  }
}

describe('checkApp', () => {
  it('lists the problems of a fleet whose ValidationError comes from another copy of hvkit', () => {
    const root = new Construct(undefined as unknown as Construct, '');
    new FleetOfAnotherCopy(root, 'osaka');
    let thrown: unknown;
    try {
      checkApp(root, (c): c is FleetOfAnotherCopy => c instanceof FleetOfAnotherCopy);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).problems).toEqual([{ path: 'osaka/h1', message: 'memory.dimms[0] 8GiB exceeds maxDimm 4GiB' }]);
  });
});
