import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_HOST, ROOT } from '../helpers/project';

/**
 * An app that takes its host names from a package only the project has, and
 * says (on stdout, which hvkit passes to its stderr) which thread it ran in (hvkit's synthesis worker, or a process's main thread).
 */
const APP = `import { isMainThread } from 'node:worker_threads';
import { App } from 'cdktf';
import { Fleet, Host, Guest } from 'hvkit';
import { hosts } from 'inventory';
console.log(\`app ran in \${isMainThread ? 'a main thread' : 'a worker'}\`);
const app = new App();
const fleet = new Fleet(app, 'tokyo', { provider: 'local' });
for (const name of hosts) new Guest(new Host(fleet, name, ${LOCAL_HOST}), \`\${name}-web\`, { role: 'web', vcpus: 1, memory: '1GiB' });
app.synth();
`;

type Layout = 'npm link' | 'pnpm';

/**
 * A project whose node_modules holds hvkit as a symlink, the packages the app
 * imports itself, and none of hvkit's own dependencies. `npm link` (and a
 * `file:` dependency): the symlink points at the hvkit repository, whose
 * node_modules has hvkit's dependencies. pnpm: it points into
 * node_modules/.pnpm, where hvkit's folder has no node_modules of its own
 * and its dependencies are symlinks beside it.
 */
function linkedProject(layout: Layout): string {
  const dir = mkdtempSync(join(tmpdir(), 'hvkit-linked-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '.bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fleet', private: true, type: 'module' }));
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'npx tsx main.ts' }));
  writeFileSync(join(dir, 'main.ts'), APP);
  for (const p of ['cdktf', 'constructs', 'tsx']) symlinkSync(join(ROOT, 'node_modules', p), join(modules, p));
  symlinkSync('../tsx/dist/cli.mjs', join(modules, '.bin', 'tsx'));
  mkdirSync(join(modules, 'inventory'));
  writeFileSync(join(modules, 'inventory', 'package.json'), JSON.stringify({ name: 'inventory', type: 'module', exports: './index.js' }));
  writeFileSync(join(modules, 'inventory', 'index.js'), "export const hosts = ['kvm-a', 'kvm-b'];\n");
  if (layout === 'npm link') {
    symlinkSync(ROOT, join(modules, 'hvkit'));
    return dir;
  }
  const store = join(modules, '.pnpm', 'hvkit@0.1.0', 'node_modules');
  const hvkit = join(store, 'hvkit');
  mkdirSync(hvkit, { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(hvkit, 'package.json'));
  cpSync(join(ROOT, 'lib'), join(hvkit, 'lib'), { recursive: true });
  const deps = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  for (const d of deps) {
    mkdirSync(dirname(join(store, d)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', d), join(store, d));
  }
  symlinkSync(join('.pnpm', 'hvkit@0.1.0', 'node_modules', 'hvkit'), join(modules, 'hvkit'));
  return dir;
}

/** The repository's CLI, run in `dir` as a user runs it: the app's bundle runs in a worker there. */
function hvkit(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'hvkit.mjs'), ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

const planned = (out: string) => out.split('\n').filter((l) => l.includes('+ create')).map((l) => l.trim());
const EXPECTED = ['+ create kvm-a-web on kvm-a  (tokyo/kvm-a/kvm-a-web)', '+ create kvm-b-web on kvm-b  (tokyo/kvm-b/kvm-b-web)'];

describe('an app whose hvkit is a symlink, with hvkit’s dependencies outside the project', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  for (const layout of ['npm link', 'pnpm'] as const) {
    it(`plans in hvkit’s synthesis worker, hvkit’s packages from hvkit and the app’s from the project (${layout})`, async () => {
      const dir = linkedProject(layout);
      dirs.push(dir);
      const r = await hvkit(dir, ['plan']);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain('app ran in a worker');
      expect(planned(r.out)).toEqual(EXPECTED);
    });
  }

  it('plans the same as a separate process (HVKIT_APP_PROCESS=separate)', async () => {
    const dir = linkedProject('npm link');
    dirs.push(dir);
    const r = await hvkit(dir, ['plan'], { HVKIT_APP_PROCESS: 'separate' });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('app ran in a main thread');
    expect(planned(r.out)).toEqual(EXPECTED);
  });
});
