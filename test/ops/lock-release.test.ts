import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apply } from '../../lib/ops/apply';
import type { ApplyListener } from '../../lib/plan/apply-events';
import { refresh } from '../../lib/ops/refresh';
import { manifestOf, WEB_HOST_8G } from '../helpers/fleet';
import { tempProject, type TempProject } from '../helpers/project';
import { unreleasableStore, type UnreleasableStore } from '../helpers/stores';

const quiet: ApplyListener = { event: () => {}, close: () => {} };
const m = manifestOf({ a: { props: WEB_HOST_8G } });

/** The warning for the lock `store` still holds. */
async function warningFor(store: UnreleasableStore): Promise<string> {
  const held = (await store.lockInfo())!;
  return `could not release the state lock ${held.id} on ${store.file} (EACCES: permission denied, rmdir '${store.file}.lock'); once no hvkit process uses this state, release it with: hvkit state unlock ${held.id}`;
}

describe('an operation whose state lock cannot be released', () => {
  let p: TempProject;
  let store: UnreleasableStore;
  beforeEach(() => {
    p = tempProject();
    store = unreleasableStore();
  });
  afterEach(async () => {
    await store.releaseForReal();
    p.cleanup();
  });

  it('apply: the run stands, and the outcome carries the warning', async () => {
    const outcome = await apply({ manifest: m, store, projectDir: p.dir, env: process.env, listener: () => quiet });
    expect(outcome.kind).toBe('applied');
    expect((await store.read())?.hosts).toHaveProperty('a');
    expect(outcome.unlockWarning).toBe(await warningFor(store));
  });

  it('refresh: what it saw is recorded, and the result carries the warning', async () => {
    const r = await refresh({ manifest: m, store, projectDir: p.dir, env: process.env });
    expect((await store.read())?.observed?.hosts).toHaveProperty('a');
    expect(r.state.serial).toBe(1);
    expect(r.unlockWarning).toBe(await warningFor(store));
  });
});
