import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'shell-quote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../lib/plan/plan-file';
import { describeWithPostgres, freshSchema } from '../helpers/postgres';
import { LOCAL_HOST, localDomains, ROOT } from '../helpers/project';
import { dropSchema, pgBackend } from '../helpers/state-backends';

/** The commands docs/ci.md says CI runs: the fenced block after its `ci-commands` marker. */
export function documentedCommands(doc: string): string[] {
  const at = doc.indexOf('<!-- ci-commands');
  if (at < 0) throw new Error('docs/ci.md has no <!-- ci-commands --> block');
  const block = /```sh\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!block) throw new Error('no ```sh block after the ci-commands marker');
  return block[1].split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** A documented command as an argument vector for hvkit, and the file its stdout is redirected to. */
function commandOf(line: string): { args: string[]; stdout?: string } {
  const tokens = parse(line);
  const words: string[] = [];
  let stdout: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (typeof t === 'string') words.push(t);
    else if ('op' in t && t.op === '>' && typeof tokens[i + 1] === 'string') stdout = tokens[++i] as string;
    else throw new Error(`docs/ci.md command '${line}' uses shell syntax the test does not run: ${JSON.stringify(t)}`);
  }
  if (words[0] !== 'npx' || words[1] !== 'hvkit') throw new Error(`docs/ci.md command '${line}' does not start with npx hvkit`);
  return { args: words.slice(2), stdout };
}

const DOC = readFileSync(join(ROOT, 'docs', 'ci.md'), 'utf8');
const COMMANDS = documentedCommands(DOC);
const PLAN = COMMANDS.find((c) => c.startsWith('npx hvkit plan'))!;
const APPLY = COMMANDS.find((c) => c.startsWith('npx hvkit apply'))!;

/**
 * The environment the documented workflow gives its jobs (its top-level `env:`),
 * with `${{ secrets.NAME }}` taken from `secrets`.
 */
function workflowEnv(secrets: Record<string, string>): Record<string, string> {
  const yaml = /```yaml\n([\s\S]*?)```/.exec(DOC.slice(DOC.indexOf('## The workflow')))![1];
  const block = /\nenv:\n((?:  .*\n)+)/.exec(yaml);
  if (!block) throw new Error('the workflow in docs/ci.md has no top-level env: block');
  const env: Record<string, string> = {};
  for (const line of block[1].split('\n').filter((l) => l.trim())) {
    const m = /^  ([A-Z_][A-Z0-9_]*): (?:\$\{\{ secrets\.([A-Z_][A-Z0-9_]*) \}\}|'([^']*)'|(\S+))/.exec(line);
    if (!m) throw new Error(`cannot read the workflow's env line '${line}'`);
    const [, key, secret, quoted, plain] = m;
    if (secret !== undefined && !(secret in secrets)) throw new Error(`the workflow uses secret ${secret}, which the test does not know`);
    env[key] = secret !== undefined ? secrets[secret] : (quoted ?? plain);
  }
  return env;
}

describe('docs/ci.md', () => {
  it('documents one plan and one apply command, and its workflow runs exactly those', () => {
    expect(COMMANDS).toEqual([PLAN, APPLY]);
    const yaml = /```yaml\n([\s\S]*?)```/.exec(DOC.slice(DOC.indexOf('## The workflow')))![1];
    // Each command is a line of a `run:` step, alone or in its script.
    const lines = yaml.split('\n').map((l) => l.trim().replace(/^run: /, ''));
    for (const c of COMMANDS) expect(lines).toContain(c);
    expect(workflowEnv({ HVKIT_PG_CONN: 'conn', HVKIT_PG_PASSWORD: 'pw' })).toEqual({ HVKIT_STATE_BACKEND: 'pg', HVKIT_PG_CONN: 'conn', PGPASSWORD: 'pw', CI: 'true' });
  });
});

const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=CI test', '-c', 'user.email=ci@example.test', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${r.stderr}`);
  return r.stdout.trim();
};

/** A runner's checkout: cloned from the repository, with the tool installed beside it (as `npm ci` would). */
function runnerClone(origin: string, dir: string, simulator: string): string {
  git(origin, 'clone', '--quiet', origin, dir);
  for (const d of ['lib', 'node_modules', 'bin']) symlinkSync(join(ROOT, d), join(dir, d));
  // Both runners reach the same hypervisors: here, one local simulator.
  mkdirSync(join(dir, '.hvkit'));
  symlinkSync(simulator, join(dir, '.hvkit', 'local'));
  return dir;
}

/** Runs a documented command in a runner's checkout, as the workflow's `run:` step does. */
async function runDocumented(cwd: string, line: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  const { args, stdout } = commandOf(line);
  const child = spawn(process.execPath, [join(cwd, 'bin', 'hvkit.mjs'), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (stdout) writeFileSync(join(cwd, stdout), out);
  return { code, out, err };
}

const stack = (schema: string, guests: string) => `import { App, Fleet, Host, Guest } from 'hvkit';
const app = new App();
const fleet = new Fleet(app, 'tokyo', { provider: 'local', state: { backend: 'pg', schema: '${schema}' } });
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
${guests}
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
app.synth();
`;
/** A guest line; two pull requests add theirs in different places of the file, as people do, so they merge cleanly. */
const guest = (name: string, host = 'a') => `new Guest(${host}, '${name}', { role: 'web', vcpus: 1, memory: '1GiB' });\n`;

/**
 * docs/ci.md's workflow, run for real: one repository, a pull-request runner and
 * a main runner (two clones), one PostgreSQL state, one set of hypervisors.
 */
describeWithPostgres('the pull-request workflow of docs/ci.md, from two clones against one database', (conn) => {
  let work: string;
  let origin: string;
  let pr: string;
  let main: string;
  let hypervisors: string;
  const schema = freshSchema('ci');
  // The jobs' environment is the documented workflow's, its secrets this test's database; the code names the schema.
  const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('HVKIT_') && !k.startsWith('PG'));
  const env = { ...Object.fromEntries(inherited), ...workflowEnv({ HVKIT_PG_CONN: conn, HVKIT_PG_PASSWORD: '' }) };
  const state = pgBackend(conn, 'tokyo', schema);
  const artifacts = () => join(work, 'artifacts');

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'hvkit-ci-'));
    origin = join(work, 'origin');
    hypervisors = join(work, 'hypervisors');
    mkdirSync(join(hypervisors, '.hvkit', 'local'), { recursive: true });
    mkdirSync(artifacts());
    mkdirSync(origin);
    for (const f of ['package.json', 'cdktf.json']) cpSync(join(ROOT, f), join(origin, f));
    cpSync(join(ROOT, 'providers'), join(origin, 'providers'), { recursive: true });
    mkdirSync(join(origin, 'stacks'));
    writeFileSync(join(origin, 'stacks', 'main.ts'), stack(schema, guest('web-01')));
    writeFileSync(join(origin, '.gitignore'), ['/node_modules', '/lib', '/bin', '/.hvkit/', '/cdktf.out/', '/plan.bin', '/plan.md', ''].join('\n'));
    git(origin, 'init', '--quiet');
    git(origin, 'add', '-A');
    git(origin, 'commit', '--quiet', '-m', 'fleet tokyo: host-a with web-01');
    pr = runnerClone(origin, join(work, 'pr-runner'), join(hypervisors, '.hvkit', 'local'));
    main = runnerClone(origin, join(work, 'main-runner'), join(hypervisors, '.hvkit', 'local'));
  });
  afterAll(async () => {
    await dropSchema(conn, schema);
    rmSync(work, { recursive: true, force: true });
  });

  /** A pull request: a branch off main that adds `line` after the line `after`. */
  function openPullRequest(branch: string, name: string, after: string, line: string): void {
    git(origin, 'checkout', '--quiet', '-b', branch, 'main');
    const file = join(origin, 'stacks', 'main.ts');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(after);
    writeFileSync(file, text.replace(after, `${after}${line}`));
    git(origin, 'commit', '--quiet', '-am', `add ${name}`);
    git(origin, 'checkout', '--quiet', 'main');
  }

  /** The plan job: checks out `ref` on the PR runner, runs the documented plan, keeps plan.bin as the artifact `name`. */
  async function planJob(ref: string, artifact: string) {
    git(pr, 'fetch', '--quiet', 'origin');
    git(pr, 'checkout', '--quiet', '--detach', `origin/${ref}`);
    const r = await runDocumented(pr, PLAN, env);
    expect(existsSync(join(pr, 'plan.bin')), r.err).toBe(true);
    mkdirSync(join(artifacts(), artifact));
    copyFileSync(join(pr, 'plan.bin'), join(artifacts(), artifact, 'plan.bin'));
    return { ...r, markdown: readFileSync(join(pr, 'plan.md'), 'utf8'), steps: loadPlan(join(pr, 'plan.bin')).plan.steps.map((s) => s.id) };
  }

  /** The apply job: checks out main on the main runner, fetches the artifact, runs the documented apply. */
  async function applyJob(artifact: string) {
    git(main, 'fetch', '--quiet', 'origin');
    git(main, 'checkout', '--quiet', '--detach', 'origin/main');
    copyFileSync(join(artifacts(), artifact, 'plan.bin'), join(main, 'plan.bin'));
    return runDocumented(main, APPLY, env);
  }

  /** What the hypervisors run, as `guest@host`. */
  const readDomains = () => localDomains(hypervisors);
  const merge = (branch: string) => git(origin, 'merge', '--quiet', '--no-ff', '-m', `Merge ${branch}`, branch);

  it('plans on the PR, applies the reviewed plan after merge, refuses a plan main moved past, and converges', async () => {
    // The first change: planned, reviewed and applied from different checkouts.
    const first = await planJob('main', 'main-1');
    expect(first.code, first.err).toBe(2);
    expect(first.steps).toContain('create:web-01');
    expect(first.markdown).toMatch(/web-01/);
    const applied = await applyJob('main-1');
    expect(applied.code, applied.err + applied.out).toBe(0);
    expect(readDomains()).toEqual(['web-01@host-a']);

    // Two pull requests planned against the same state.
    openPullRequest('add-web-02', 'web-02', guest('web-01'), guest('web-02'));
    openPullRequest('add-db-01', 'db-01', `const b = new Host(fleet, 'host-b', ${LOCAL_HOST});\n`, guest('db-01', 'b'));
    const pr1 = await planJob('add-web-02', 'pr-1');
    const pr2 = await planJob('add-db-01', 'pr-2');
    expect(pr1.code, pr1.err).toBe(2);
    expect(pr2.code, pr2.err).toBe(2);
    // The PR runner sees what the main runner applied: only the new guest is planned.
    expect(pr1.steps.filter((s) => s.startsWith('create:'))).toEqual(['create:web-02']);
    expect(pr2.steps.filter((s) => s.startsWith('create:'))).toEqual(['create:db-01']);
    expect(pr1.markdown).toContain('web-02');
    expect(pr1.markdown).not.toContain('db-01');

    // The first merges and applies its reviewed plan.
    merge('add-web-02');
    const a1 = await applyJob('pr-1');
    expect(a1.code, a1.err + a1.out).toBe(0);
    expect(readDomains()).toEqual(['web-01@host-a', 'web-02@host-a']);
    const serial = (await state.read())!.serial;

    // The second merges later: its plan was made before the first applied, so it is stale, and nothing changes.
    merge('add-db-01');
    const a2 = await applyJob('pr-2');
    expect(a2.code).toBe(1);
    expect(a2.err).toContain('the saved plan is stale: the state changed since the plan was made');
    expect(a2.err).toContain('Nothing was applied');
    expect(a2.err).not.toMatch(/^\s+at /m);
    expect(readDomains()).toEqual(['web-01@host-a', 'web-02@host-a']);
    expect((await state.read())!.serial).toBe(serial);

    // As the docs say: plan main again, review, apply.
    const again = await planJob('main', 'main-2');
    expect(again.code, again.err).toBe(2);
    expect(again.steps.filter((s) => s.startsWith('create:'))).toEqual(['create:db-01']);
    const a3 = await applyJob('main-2');
    expect(a3.code, a3.err + a3.out).toBe(0);
    const all = ['db-01@host-b', 'web-01@host-a', 'web-02@host-a'];
    expect(readDomains()).toEqual(all);
    expect(await state.guests()).toEqual(all);
    expect((await state.read())!.inflight).toEqual({});
    expect((await planJob('main', 'main-3')).code).toBe(0);

    // The state is the database's alone: neither checkout has a state file.
    expect(existsSync(join(pr, '.hvkit', 'state'))).toBe(false);
    expect(existsSync(join(main, '.hvkit', 'state'))).toBe(false);
  });
});
