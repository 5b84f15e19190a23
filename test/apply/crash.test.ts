import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { crashSuite } from '../helpers/crash-suite';
import { localDomains, spawnCli } from '../helpers/project';
import { fileBackend } from '../helpers/state-backends';

crashSuite('crash safety: kill -9 of apply', (dir) => fileBackend(dir), (fixture) => {
  it('the next apply takes over a dead holder’s lock once it goes stale', async () => {
    const { p, state } = fixture();
    // Stale after an hour: the next apply, however slow the machine, cannot reach that age on its own, so "locked" is certain.
    const STALE_MS = 3_600_000;
    const env = { HVKIT_LOCK_STALE_MS: String(STALE_MS) };
    const crashed = await spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], { HVKIT_TEST_CRASH_AT: 'after-intent:create:web-02', ...env }).done;
    expect(crashed.signal).toBe('SIGKILL');
    const early = await p.run(['apply', '--auto-approve'], { env });
    expect(early.code).toBe(1);
    expect(early.err).toContain('is locked by');
    // Nobody refreshes the dead holder's lock: make it twice the stale age old rather than wait for it to age.
    const lockDir = join(p.dir, '.hvkit/state/tokyo.json.lock');
    const old = new Date(Date.now() - 2 * STALE_MS);
    utimesSync(lockDir, old, old);
    const later = await p.run(['apply', '--auto-approve'], { env });
    expect(later.code, later.err).toBe(0);
    expect(await state.guests()).toEqual(localDomains(p.dir));
  });
});
