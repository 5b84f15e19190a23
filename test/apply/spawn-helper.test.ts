import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helperPath, SpawnHelper } from '../../lib/apply/private/spawn-helper';
import { waitFor } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const path = helperPath();

describeWithTool('the hvkit-spawn helper', 'the compiled spawn helper (npm install builds it with cc)', Boolean(path), 'dist/hvkit-spawn is missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hvkit-spawn-'));
  const files = (n: string) => ({ stdinFile: join(dir, `${n}.in`), stdoutFile: join(dir, `${n}.out`), stderrFile: join(dir, `${n}.err`) });

  it('runs a program with its argument vector, stdin, environment and folder, and reports its exit', async () => {
    const h = SpawnHelper.start(process.env)!;
    const f = files('a');
    writeFileSync(f.stdinFile, 'from stdin');
    const run = h.run({ cwd: dir, argv: ['/bin/sh', '-c', 'cat; echo " $HVKIT_VERB $1"; pwd; echo oops >&2; exit 3', 'sh', 'arg $(not expanded)'], env: { HVKIT_VERB: 'create' }, ...f });
    expect(await run.pid).toBeGreaterThan(1);
    expect(await run.done).toEqual({ code: 3, signal: 0 });
    expect(readFileSync(f.stdoutFile, 'utf8')).toBe(`from stdin create arg $(not expanded)\n${dir}\n`);
    expect(readFileSync(f.stderrFile, 'utf8')).toBe('oops\n');
    h.close();
  });

  it('starts each program in a process group of its own and reports a signal', async () => {
    const h = SpawnHelper.start(process.env)!;
    writeFileSync(files('b').stdinFile, '');
    const run = h.run({ cwd: dir, argv: ['/bin/sh', '-c', 'sleep 30'], env: {}, ...files('b') });
    const pid = await run.pid;
    process.kill(-pid, 'SIGKILL');
    expect(await run.done).toEqual({ code: null, signal: 9 });
    h.close();
  });

  it('says when a program cannot be started', async () => {
    const h = SpawnHelper.start(process.env)!;
    writeFileSync(files('c').stdinFile, '');
    await expect(h.run({ cwd: dir, argv: ['/nonexistent/script'], env: {}, ...files('c') }).done).rejects.toThrow(/cannot start it \(errno 2\)/);
    h.close();
  });

  it('refuses values that would break its line protocol', () => {
    const h = SpawnHelper.start(process.env)!;
    expect(() => h.run({ cwd: dir, argv: ['/bin/true', 'a\nb'], env: {}, ...files('d') })).toThrow(/separator/);
    h.close();
  });
});

describe('without the helper', () => {
  it('reports a helper that cannot run, so callers fall back to Node spawn', async () => {
    const h = SpawnHelper.start(process.env, '/nonexistent/hvkit-spawn')!;
    // The failure to start arrives as an event: wait for it (bounded), not for a fixed time.
    await waitFor(() => !h.usable, 20_000, 'the helper to fail');
    expect(h.usable).toBe(false);
  });
});
