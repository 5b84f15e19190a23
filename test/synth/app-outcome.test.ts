import { describe, expect, it } from 'vitest';
import { HvkitError, ValidationError } from '../../lib/errors';
import { compileError, crashMessage, crashStack, settle } from '../../lib/synth/app-outcome';
import { manifestOf, WEB_HOST_8G } from '../helpers/fleet';

const tokyo = manifestOf({ h1: { props: WEB_HOST_8G } });
const osaka = manifestOf({ h1: { props: WEB_HOST_8G } }, {}, 'osaka');

describe('settle (what a run of the app made, or the one error to print)', () => {
  it('returns the fleets sorted by name with where their output went', () => {
    const run = settle({ app: 'stacks/main.ts', manifests: [tokyo, osaka], events: [
      { kind: 'created', fleet: 'tokyo', path: 'tokyo' }, { kind: 'synthesized', fleet: 'tokyo', out: '/p/cdktf.out/stacks/tokyo' },
      { kind: 'created', fleet: 'osaka', path: 'osaka' }, { kind: 'synthesized', fleet: 'osaka', out: '/p/cdktf.out/stacks/osaka' },
    ] });
    expect(run.manifests.map((m) => m.fleet)).toEqual(['osaka', 'tokyo']);
    expect(run.outputs.get('tokyo')).toBe('/p/cdktf.out/stacks/tokyo');
  });

  it('puts validation problems before the crash they caused', () => {
    const o = { app: 'stacks/main.ts', manifests: [], failure: 'ValidationError: 1 problem', events: [{ kind: 'problems' as const, problems: [{ path: 'tokyo/h1', message: 'bad' }] }] };
    expect(() => settle(o)).toThrow(ValidationError);
  });

  it('names the app that failed, and the line that threw when it is known', () => {
    expect(() => settle({ app: 'stacks/main.ts', manifests: [], events: [], failure: 'boom' })).toThrow(new HvkitError('the app stacks/main.ts failed: boom'));
    expect(() => settle({ app: 'stacks/main.ts', manifests: [], events: [], failure: 'boom', at: 'stacks/lib.ts:7:34' })).toThrow(new HvkitError('the app stacks/main.ts failed at stacks/lib.ts:7:34: boom'));
  });

  it('says which fleets were never synthesized', () => {
    const events = [{ kind: 'created' as const, fleet: 'tokyo', path: 'tokyo' }, { kind: 'created' as const, fleet: 'osaka', path: 'osaka' }];
    expect(() => settle({ app: 'stacks/main.ts', manifests: [], events })).toThrow(
      'the app stacks/main.ts created fleets tokyo, osaka but never synthesized them: call app.synth() at the end of the app (cdktf apps must)',
    );
  });

  it('says an app without a Fleet made no fleet', () => {
    expect(() => settle({ app: '`node dist/main.js`', manifests: [], events: [] })).toThrow(/^the app `node dist\/main\.js` made no fleet: create a Fleet/);
  });
});

describe('crashMessage (the one line of a crashed Node app’s stderr)', () => {
  it('takes the error line of an uncaught exception, without the stack', () => {
    const stderr = '/p/stacks/main.ts:4\nthrow new Error(\'cannot reach the inventory\');\n      ^\n\nError: cannot reach the inventory\n    at <anonymous> (/p/stacks/main.ts:4:7)\n    at ModuleJob.run\n\nNode.js v20.19.0\n';
    expect(crashMessage(stderr, 1)).toBe('cannot reach the inventory');
  });

  it('keeps the error class when it says something, and a message spread over lines', () => {
    expect(crashMessage("TypeError: Cannot read properties of undefined (reading 'node')\n    at x\n", 1)).toBe("TypeError: Cannot read properties of undefined (reading 'node')");
    expect(crashMessage('Error: Validation failed with the following errors:\n  [dns] no provider\n    at App.synth\n', 1)).toBe('Validation failed with the following errors: [dns] no provider');
  });

  it('falls back to the last line printed, then to the exit code', () => {
    expect(crashMessage('warming up\nout of disk\n', 2)).toBe('out of disk (exit 2)');
    expect(crashMessage('', 4)).toBe('it exited with code 4');
  });
});

describe('crashStack and compileError (where a crashed tsx app went wrong, from its stderr)', () => {
  it('takes the uncaught error with its stack, without what was printed before it', () => {
    const stderr = 'loading\n/p/main.ts:4\n\nTypeError: x is undefined\n    at load (/p/main.ts:4:9)\n\nNode.js v20.19.0\n';
    expect(crashStack(stderr)).toBe('TypeError: x is undefined\n    at load (/p/main.ts:4:9)\n\nNode.js v20.19.0\n');
    expect(crashStack('warming up\n')).toBeUndefined();
  });

  it('reads the file, line and message of a TransformError, its column counted from 1', () => {
    const stderr = 'node:internal/modules/run_main:123\n    triggerUncaughtException(\n    ^\nError [TransformError]: Transform failed with 1 error:\n/p/syntax.ts:5:104: ERROR: Expected "}" but found ")"\n    at failureErrorWithLog (/x/esbuild/lib/main.js:1752:15)\n';
    expect(compileError(stderr)).toEqual({ file: '/p/syntax.ts', line: 5, column: 105, text: 'Expected "}" but found ")"' });
    expect(compileError('TypeError: x is undefined\n    at load (/p/main.ts:4:9)\n')).toBeUndefined();
  });
});
