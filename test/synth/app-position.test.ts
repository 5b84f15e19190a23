import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackFrames, UserPosition } from '../../lib/synth/app-position';
import { spawnCli, tempProject, type TempProject } from '../helpers/project';

describe('stackFrames (the frames of a V8 stack trace)', () => {
  it('reads named and anonymous frames, file URLs and async frames, and leaves out frames without a file', () => {
    const stack = [
      "TypeError: Cannot read properties of undefined (reading 'hosts')",
      '    at load (/p/stacks/main.ts:7:34)',
      '    at file:///p/stacks/main.ts:9:1',
      '    at async Promise.all (index 0)',
      '    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)',
      '    at async run (/p/node_modules/cdktf/lib/app.js:12:3)',
    ].join('\n');
    expect(stackFrames(stack)).toEqual([
      { file: '/p/stacks/main.ts', line: 7, column: 34 },
      { file: '/p/stacks/main.ts', line: 9, column: 1 },
      { file: '/p/node_modules/cdktf/lib/app.js', line: 12, column: 3 },
    ]);
  });
});

describe('UserPosition (the line of the user’s code a stack trace went through first)', () => {
  const p = realpathSync(mkdtempSync(join(tmpdir(), 'hvkit-position-')));
  afterAll(() => rmSync(p, { recursive: true, force: true }));
  for (const f of ['node_modules/inventory/index.js', 'lib/constructs/host.ts', 'stacks/racks.ts', 'stacks/main.ts']) {
    mkdirSync(dirname(join(p, f)), { recursive: true });
    writeFileSync(join(p, f), '');
  }
  const position = new UserPosition({ projectDir: p, exclude: [join(p, 'lib')] });

  it('skips frames of packages, of hvkit’s own code, of files outside the project and of files not on disk', () => {
    const stack = [
      'Error: no such rack',
      `    at Inventory.rack (${p}/node_modules/inventory/index.js:3:9)`,
      `    at new Host (${p}/lib/constructs/host.ts:40:11)`,
      '    at helper (/elsewhere/tool.ts:1:1)',
      `    at file://${p}/hvkit-app-start.mjs:2:20`,
      `    at <anonymous> (${p}/stacks/racks.ts:12:5)`,
      `    at <anonymous> (${p}/stacks/main.ts:3:1)`,
    ].join('\n');
    expect(position.of(stack)).toBe('stacks/racks.ts:12:5');
  });

  it('knows no position without a user frame or a stack', () => {
    expect(position.of('Error: x\n    at run (node:internal/x:1:1)')).toBeUndefined();
    expect(position.of(undefined)).toBeUndefined();
  });
});

/** An app that fails at run time, not at compile time: line 5, column 45 is the read of `.hosts`. */
const THROWS = `import { App } from 'cdktf';
import { Fleet } from 'hvkit';
const app = new App();
new Fleet(app, 'tokyo');
function load() { return (undefined as any).hosts; }
load();
app.synth();
`;
const ERROR = "Error: the app stacks/throws2.ts failed at stacks/throws2.ts:5:45: TypeError: Cannot read properties of undefined (reading 'hosts')\n";

describe('an app that throws at run time is named with the line that threw, on one line', () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
    p.writeStack(THROWS, 'stacks/throws2.ts');
  });
  afterAll(() => p.cleanup());
  const app = ['--app', 'npx tsx stacks/throws2.ts'];

  it('run in hvkit’s synthesis worker (plan from the project folder)', async () => {
    const r = await spawnCli(p.dir, ['plan', ...app]).done;
    expect(r).toMatchObject({ code: 1, err: ERROR, out: '' });
  });

  it('run from its bundle in a process of its own (plan from another folder)', async () => {
    expect(await p.run(['plan', ...app])).toMatchObject({ code: 1, err: ERROR });
  });

  it('run as its own command (HVKIT_APP_PROCESS=separate)', async () => {
    expect(await p.run(['plan', ...app], { env: { HVKIT_APP_PROCESS: 'separate' } })).toMatchObject({ code: 1, err: ERROR });
  });

  it('under synth and validate', async () => {
    expect(await p.run(['synth', ...app])).toMatchObject({ code: 1, err: ERROR });
    expect((await p.run(['validate', ...app])).err).toBe(ERROR);
  });
});

/** An app that does not compile: line 3 ends its object with ')' (column 22), not '}'. */
const SYNTAX = `import { App } from 'cdktf';
import { Fleet } from 'hvkit';
const props = { a: 1 );
new Fleet(new App(), 'tokyo');
`;
const SYNTAX_ERROR = 'Error: the app stacks/syntax.ts failed at stacks/syntax.ts:3:22: Expected "}" but found ")"\n';

describe('an app that does not compile is named with the position of the error, columns from 1 as editors count', () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
    p.writeStack(SYNTAX, 'stacks/syntax.ts');
  });
  afterAll(() => p.cleanup());
  const app = ['--app', 'npx tsx stacks/syntax.ts'];

  it('compiled for hvkit’s synthesis worker', async () => {
    expect(await p.run(['plan', ...app])).toMatchObject({ code: 1, err: SYNTAX_ERROR });
  });

  it('run as its own command under tsx (HVKIT_APP_PROCESS=separate, synth)', async () => {
    expect(await p.run(['plan', ...app], { env: { HVKIT_APP_PROCESS: 'separate' } })).toMatchObject({ code: 1, err: SYNTAX_ERROR });
    expect(await p.run(['synth', ...app])).toMatchObject({ code: 1, err: SYNTAX_ERROR });
  });
});
