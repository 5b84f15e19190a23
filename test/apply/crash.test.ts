import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { crashSuite } from '../helpers/crash-suite';
import { localDomains, spawnCli } from '../helpers/project';
import { fileBackend } from '../helpers/state-backends';

crashSuite('crash safety: kill -9 of apply', (dir) => fileBackend(dir), (fixture) => {
  it('the next apply takes over a dead holder’s lock once it goes stale', async () => {
    const { p, state } = fixture();
    const env = { HVKIT_LOCK_STALE_MS: '60000' };
    const crashed = await spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], { HVKIT_TEST_CRASH_AT: 'after-intent:create:web-02', ...env }).done;
    expect(crashed.signal).toBe('SIGKILL');
    const early = await p.run(['apply', '--auto-approve'], { env });
    expect(early.code).toBe(1);
    expect(early.err).toContain('is locked by');
    // Nobody refreshes the dead holder's lock: make it two minutes old rather than wait for it to age.
    const lockDir = join(p.dir, '.hvkit/state/tokyo.json.lock');
    const old = new Date(Date.now() - 120_000);
    utimesSync(lockDir, old, old);
    const later = await p.run(['apply', '--auto-approve'], { env });
    expect(later.code, later.err).toBe(0);
    expect(await state.guests()).toEqual(localDomains(p.dir));
  });
});
