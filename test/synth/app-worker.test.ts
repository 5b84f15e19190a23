import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HvkitError, ValidationError } from '../../lib/errors';
import { settle } from '../../lib/synth/app-outcome';
import { outcomeOf } from '../../lib/synth/app-worker';
import { synthApp } from '../../lib/synth/run-app';
import { waitFor } from '../helpers/project';

const HOST = `{ cpu: { cores: 2 }, memory: { slots: 1, maxDimm: '4GiB', dimms: ['4GiB'] }, disks: [] }`;
const FLEETS = `import { App } from 'cdktf';
import { Fleet, Host, Guest } from 'hvkit';
const app = new App();
for (const name of ['tokyo', 'osaka']) new Guest(new Host(new Fleet(app, name), 'h1', ${HOST}), 'g1', { role: 'web', vcpus: 1, memory: '1GiB' });
`;

/** Pids of esbuild processes this test process started and has not reaped. */
function esbuildChildren(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((pid) => {
    try {
      // comm may hold spaces or parentheses: the fields after its closing parenthesis are fixed.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === process.pid && comm === 'esbuild';
    } catch {
      return false;
    }
  }).map(Number);
}

/**
 * hvkit run in the project folder, as the CLI always is: the test process's
 * own folder (this repository) is the project, the apps live elsewhere.
 */
describe('a tsx app run in hvkit’s synthesis worker', () => {
  const projectDir = process.cwd();
  const dir = mkdtempSync(join(tmpdir(), 'hvkit-worker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const app = (name: string, source: string) => {
    writeFileSync(join(dir, name), source);
    return `npx tsx ${join(dir, name)}`;
  };
  const synth = (command: string, env?: NodeJS.ProcessEnv) => synthApp({ projectDir, app: command, mode: 'manifest', ...(env ? { env } : {}) });

  it('runs in the project folder (what the rest of this suite relies on)', () => {
    expect(existsSync(join(projectDir, 'cdktf.json'))).toBe(true);
  });

  it('runs an app that changes its working directory or umask in a process of its own, and hvkit’s stay as they were', async () => {
    const cwd = process.cwd();
    const umask = process.umask();
    const run = await synth(app('chdir.ts', `process.chdir('/tmp');\nprocess.umask(0o027);\n${FLEETS}app.synth();\n`));
    expect(run.manifests.map((m) => m.fleet)).toEqual(['osaka', 'tokyo']);
    expect(process.cwd()).toBe(cwd);
    expect(process.umask()).toBe(umask);
  });

  it('sends what the app prints to stderr, so hvkit’s stdout carries only its own output', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const write = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((c: string | Uint8Array) => (out.push(String(c)), true)) as typeof process.stdout.write;
    process.stderr.write = ((c: string | Uint8Array) => (err.push(String(c)), true)) as typeof process.stderr.write;
    try {
      await synth(app('chatty.ts', `console.log('hello from app');\n${FLEETS}app.synth();\n`));
      await waitFor(() => err.join('').includes('hello from app'));
    } finally {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
    }
    expect(out.join('')).not.toContain('hello from app');
  });

  it('hands over the manifest of every fleet, sorted by name', async () => {
    const run = await synth(app('fleets.ts', `${FLEETS}app.synth();\n`));
    expect(run.manifests.map((m) => `${m.fleet}: ${m.guests.map((g) => g.name).join(', ')}`)).toEqual(['osaka: g1', 'tokyo: g1']);
  });

  it('leaves hvkit’s environment, working directory and process.exit alone while the app runs', async () => {
    const changed: string[] = [];
    const env = process.env;
    const exit = Object.getOwnPropertyDescriptor(process, 'exit')!;
    const chdir = process.chdir;
    process.env = new Proxy(env, {
      set: (t, k, v) => (changed.push(`set ${String(k)}`), Reflect.set(t, k, v)),
      deleteProperty: (t, k) => (changed.push(`delete ${String(k)}`), Reflect.deleteProperty(t, k)),
    });
    Object.defineProperty(process, 'exit', { configurable: true, get: () => exit.value, set: () => changed.push('process.exit') });
    process.chdir = (d: string) => changed.push(`chdir ${d}`) as never;
    try {
      const source = `${FLEETS}process.env.HVKIT_TEST_LEAK = 'yes';\nif (!process.env.CDKTF_OUTDIR) throw new Error('no CDKTF_OUTDIR');\napp.synth();\n`;
      const run = await synth(app('env.ts', source), { ...env, HVKIT_TEST_GIVEN: 'for the app' });
      expect(run.manifests).toHaveLength(2);
    } finally {
      process.env = env;
      Object.defineProperty(process, 'exit', exit);
      process.chdir = chdir;
    }
    expect(changed).toEqual([]);
    expect(process.env.HVKIT_TEST_LEAK).toBeUndefined();
  });

  it('gives the app the environment it was asked to', async () => {
    const source = `${FLEETS}if (process.env.HVKIT_TEST_GIVEN !== 'for the app') throw new Error('env not given');\napp.synth();\n`;
    await expect(synth(app('given.ts', source), { ...process.env, HVKIT_TEST_GIVEN: 'for the app' })).resolves.toMatchObject({ manifests: [{}, {}] });
  });

  it('names an app that throws, on one line', async () => {
    await expect(synth(app('throws.ts', `${FLEETS}throw new Error('cannot reach\\nthe inventory');\n`))).rejects.toThrow(new HvkitError(`the app ${join(dir, 'throws.ts')} failed: cannot reach the inventory`));
  });

  it('names an app that calls process.exit, which ends only the worker', async () => {
    await expect(synth(app('exits.ts', `${FLEETS}process.exit(4);\n`))).rejects.toThrow(`the app ${join(dir, 'exits.ts')} failed: it called process.exit(4)`);
  });

  it('takes the fleets of an app that calls process.exit(0) after synthesizing', async () => {
    const run = await synth(app('exit0.ts', `${FLEETS}app.synth();\nprocess.exit(0);\n`));
    expect(run.manifests.map((m) => m.fleet)).toEqual(['osaka', 'tokyo']);
  });

  it('is not held by a timer the app leaves running', async () => {
    const run = await synth(app('timer.ts', `${FLEETS}setInterval(() => {}, 1000);\napp.synth();\n`));
    expect(run.manifests).toHaveLength(2);
  });

  it('lists, one per line, the problems of a ValidationError the app’s own copy of hvkit threw', async () => {
    const source = FLEETS.replace("memory: '1GiB'", "memory: '8 gigs'").replace("for (const name of ['tokyo', 'osaka'])", "for (const name of ['tokyo'])") +
      `(app.node.findChild('tokyo') as import('hvkit').Fleet).manifest();\n`;
    await expect(synth(app('invalid.ts', source))).rejects.toThrow(new ValidationError([{ path: 'tokyo/h1/g1', message: "memory: size '8 gigs' is not a size like '512MiB' or '5.5GiB'" }]));
  });

  // Nothing else in a test process starts esbuild (vitest compiles in its main process).
  it('leaves no esbuild process behind, whether the app compiles or not', async () => {
    await synth(app('fleets-again.ts', `${FLEETS}app.synth();\n`));
    await waitFor(() => esbuildChildren().length === 0, 5_000, 'esbuild to exit after a build');
    await expect(synth(app('broken.ts', `${FLEETS}app.synth(;\n`))).rejects.toThrow(/broken\.ts:\d+:\d+: /);
    await waitFor(() => esbuildChildren().length === 0, 5_000, 'esbuild to exit after a failed build');
  });
});

describe('outcomeOf (how a synthesis worker’s run ended)', () => {
  it('carries a ValidationError as its problems, recognised by data not class', () => {
    const problems = [{ path: 'tokyo/h1', message: 'too big' }];
    const o = outcomeOf('stacks/main.ts', { exitCode: 1, messages: [{ kind: 'failed', error: { name: 'ValidationError', message: '1 problem', problems } }] });
    expect(() => settle(o)).toThrow(new ValidationError(problems));
  });

  it('does not list problems twice when the app reported them before throwing', () => {
    const problems = [{ path: 'tokyo/h1', message: 'too big' }];
    const o = outcomeOf('stacks/main.ts', { exitCode: 1, messages: [{ kind: 'problems', problems }, { kind: 'failed', error: { name: 'ValidationError', message: '1 problem', problems } }] });
    expect(o.events).toEqual([{ kind: 'problems', problems }]);
  });

  it('says an app that exited before its end called process.exit, and an ended one did not', () => {
    expect(outcomeOf('a.ts', { exitCode: 3, messages: [] }).failure).toBe('it called process.exit(3)');
    expect(outcomeOf('a.ts', { exitCode: 1, messages: [{ kind: 'ended' }] }).failure).toBeUndefined();
    expect(outcomeOf('a.ts', { exitCode: 0, messages: [] }).failure).toBeUndefined();
  });

  it('names an error thrown outside the app’s module (in a callback)', () => {
    expect(outcomeOf('a.ts', { exitCode: 1, messages: [{ kind: 'ended' }], uncaught: new TypeError('x is undefined') }).failure).toBe('TypeError: x is undefined');
  });
});
