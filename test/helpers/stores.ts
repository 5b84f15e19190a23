import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore } from '../../lib/state/file-store';

/** A file store whose lock cannot be released, as when its folder turned read-only under it. */
export class UnreleasableStore extends FileStateStore {
  failing = true;
  async unlock(id: string): Promise<void> {
    if (this.failing) throw new Error(`EACCES: permission denied, rmdir '${this.file}.lock'\n    at rmdir (node:fs)`);
    return super.unlock(id);
  }
  /** Lets go of the lock for real, so no lock refresh timer outlives the test. */
  async releaseForReal(): Promise<void> {
    this.failing = false;
    const held = await this.lockInfo();
    if (held) await this.unlock(held.id);
  }
}

export function unreleasableStore(): UnreleasableStore {
  return new UnreleasableStore(join(mkdtempSync(join(tmpdir(), 'hvkit-state-')), 'tokyo.json'), { staleMs: 60_000 });
}
