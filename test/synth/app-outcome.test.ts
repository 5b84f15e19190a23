import { describe, expect, it } from 'vitest';
import { HvkitError, ValidationError } from '../../lib/errors';
import { crashMessage, settle } from '../../lib/synth/app-outcome';
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

  it('names the app that failed', () => {
    expect(() => settle({ app: 'stacks/main.ts', manifests: [], events: [], failure: 'boom' })).toThrow(new HvkitError('the app stacks/main.ts failed: boom'));
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
