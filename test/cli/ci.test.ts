import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GITHUB_COMMENT_LIMIT } from '../../lib/render/markdown';
import { Match, PlanAssert } from '../helpers/assertions';
import { spawnCli, tempProject, type TempProject } from '../helpers/project';

const ESC = String.fromCharCode(27);
const ci = { CI: 'true', NO_COLOR: '', FORCE_COLOR: '' };

/**
 * The commands docs/ci.md documents, run as CI runs them: CI=true, no
 * terminal. Each test gets its own project and runs the workflow's earlier
 * commands itself, so the tests pass in any order.
 */
describe('the documented CI workflow', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  /** The pull request's `hvkit plan --out plan.bin` (in this process: it sets the scene, it is not under test). */
  async function reviewedPlan(): Promise<void> {
    const r = await p.run(['plan', '--out', 'plan.bin', '--detailed-exitcode'], { env: ci });
    expect(r.code, r.err).toBe(2);
  }

  it('plan on the pull request: markdown, saved plan, exit 2 for changes, no colour', async () => {
    const r = await spawnCli(p.dir, ['plan', '--out', 'plan.bin', '--markdown', '--detailed-exitcode'], ci).done;
    expect(r.code).toBe(2);
    expect(r.out + r.err).not.toContain(ESC);
    expect(r.out).toMatch(/^### hvkit plan: fleet `tokyo`\n\n\*\*Plan: 6 to create, 0 to update in place, 0 to migrate, 0 to destroy; 4 host changes\.\*\*/);
    // The saved plan says what the comment says.
    const saved = PlanAssert.fromJson(readFileSync(join(p.dir, 'plan.bin'), 'utf8'));
    saved.changeCount('create', 6);
    saved.changeCount('add', 4);
    saved.hasChange('web-01', { action: 'create', after: Match.objectLike({ host: 'web-host-01', memoryMiB: 5632 }) });
    saved.hasNoDiagnostics('error');
  });

  it('apply after merge: exactly the reviewed plan, one plain line per step, exit 0', async () => {
    await reviewedPlan();
    const r = await spawnCli(p.dir, ['apply', 'plan.bin'], ci).done;
    expect(r.code, r.err).toBe(0);
    expect(r.out + r.err).not.toContain(ESC);
    expect(r.out).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    const lines = r.out.trim().split('\n');
    expect(lines.filter((l) => /^start {3}\S+: /.test(l))).toHaveLength(10);
    expect(lines.filter((l) => /^\[ ?\d+\/10\] done {4}\S+ \(\d+\.\ds\)$/.test(l))).toHaveLength(10);
    expect(lines.at(-1)).toMatch(/^Apply complete: 6 created, 0 updated, 0 migrated, 0 destroyed, 4 host steps in \d+\.\ds$/);
  });

  it('the same plan again is refused as stale, changing nothing (exit 1)', async () => {
    await reviewedPlan();
    expect((await p.run(['apply', 'plan.bin'], { env: ci })).code).toBe(0);
    const state = readFileSync(join(p.dir, '.hvkit/state/tokyo.json'), 'utf8');
    const r = await spawnCli(p.dir, ['apply', 'plan.bin'], ci).done;
    expect(r.code).toBe(1);
    expect(r.err).toContain('the saved plan is stale');
    expect(readFileSync(join(p.dir, '.hvkit/state/tokyo.json'), 'utf8')).toBe(state);
  });

  it('re-plan after merge: exit 0 when nothing is left', async () => {
    await reviewedPlan();
    expect((await p.run(['apply', 'plan.bin'], { env: ci })).code).toBe(0);
    expect((await spawnCli(p.dir, ['plan', '--detailed-exitcode'], ci).done).code).toBe(0);
  });

  it('fit errors fail the check: exit 1, and apply never applies such a plan', async () => {
    const src = readFileSync(join(p.dir, 'stacks/main.ts'), 'utf8');
    p.writeStack(src.replace("memory: upgraded ? '5.5GiB' : '3.5GiB', maxMemory: '5.5GiB'", "memory: '7GiB', maxMemory: '7GiB'"));
    const r = await spawnCli(p.dir, ['plan', '--out', 'bad.bin', '--markdown', '--detailed-exitcode'], ci).done;
    expect(r.code).toBe(1);
    expect(r.out).toContain('❌ This plan has errors and cannot be applied.');
    expect(r.out).toContain('#### Errors');
    PlanAssert.fromJson(readFileSync(join(p.dir, 'bad.bin'), 'utf8')).hasDiagnostic({ severity: 'error', code: 'memory-over', path: 'tokyo/web-host-01' });
    const a = await spawnCli(p.dir, ['apply', 'bad.bin'], ci).done;
    expect(a.code).toBe(1);
    expect(a.err).toContain('the plan has errors');
    expect(existsSync(join(p.dir, '.hvkit/state/tokyo.json'))).toBe(false);
  });

  it('keeps the comment under 65,536 characters for a 500-guest change', async () => {
    const r = await spawnCli(p.dir, ['plan', '--markdown', '--detailed-exitcode', '--app', 'npx tsx bench/fleet.ts', '--state', 'big.json'], { ...ci, BENCH_GUESTS: '500' }).done;
    expect(r.code).toBe(2);
    expect(r.out.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(r.out).toContain('**Plan: 500 to create');
    expect(r.out).toMatch(/more (changes|config diffs) not shown \(comment size limit\)/);
  });
});

describe('apply on a terminal', () => {
  it('shows a live view of running and finished steps, in colour', async () => {
    const { spawnSync } = await import('node:child_process');
    const p = tempProject();
    try {
      // `script` gives the command a real pseudo-terminal (sized, as a terminal window would be).
      const cmd = `stty rows 40 cols 120; ${process.execPath} ${join(p.dir, 'bin', 'hvkit.mjs')} apply --auto-approve`;
      const env: NodeJS.ProcessEnv = { ...process.env, CI: '', FORCE_COLOR: '' };
      delete env.NO_COLOR;
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: p.dir, env, encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('Applying: ');
      expect(r.stdout).toMatch(/✔\u001b\[39m create web-01 on web-host-01/);
      expect(r.stdout).not.toMatch(/^start {3}/m);
      expect(r.stdout).toContain('Apply complete');
    } finally {
      p.cleanup();
    }
  });
});
