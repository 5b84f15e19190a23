import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { HvkitError } from '../errors';
import type { HostLoad } from '../load/rates';
import type { AppendResult, SampleStore } from '../load/sample-store';
import { DEFAULT_WINDOW, appendToWindow, pruneWindow, slotOf, type LoadWindow } from '../load/window';

/** The file's layout; a file of a newer layout is refused rather than overwritten. */
const FORMAT = 1;

/**
 * Measured load beside a file state: `<state file>.samples` (`.hvkit/state/<fleet>.json.samples`),
 * one JSON document rewritten atomically (temp file, fsync, rename, fsync the folder) as the state file
 * is. A week of 5-minute samples of a 20-host fleet is a few MB at most.
 */
export class FileSampleStore implements SampleStore {
  readonly location: string;

  /** @param window @default DEFAULT_WINDOW (5-minute slots, 7 days) */
  constructor(readonly file: string, readonly window: LoadWindow = DEFAULT_WINDOW) {
    this.location = file;
  }

  /** The samples file beside a state file. */
  static beside(stateFile: string, window?: LoadWindow): FileSampleStore {
    return new FileSampleStore(`${stateFile}.samples`, window);
  }

  private load(): HostLoad[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new HvkitError(`cannot read measured load ${this.file}: ${(e as Error).message}`);
    }
    let doc: { format?: unknown; samples?: unknown };
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new HvkitError(`measured load ${this.file} is not JSON (${(e as Error).message}): delete it; the next \`hvkit refresh\` starts a new window`);
    }
    if (typeof doc.format === 'number' && doc.format > FORMAT) throw new HvkitError(`measured load ${this.file} was written by a newer hvkit (format ${doc.format}); upgrade hvkit`);
    if (!Array.isArray(doc.samples)) throw new HvkitError(`measured load ${this.file} has no "samples" list: delete it; the next \`hvkit refresh\` starts a new window`);
    return doc.samples as HostLoad[];
  }

  private async save(samples: readonly HostLoad[]): Promise<void> {
    mkdirSync(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify({ format: FORMAT, samples }) + '\n', { fsync: true });
    const fd = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  async append(samples: readonly HostLoad[], now: string = new Date().toISOString()): Promise<AppendResult> {
    if (samples.length === 0) return { refused: [] };
    const { kept, refused } = appendToWindow(this.load(), samples, now, this.window);
    await this.save(kept);
    return { refused };
  }

  async read(since?: string): Promise<HostLoad[]> {
    const from = since === undefined ? -Infinity : slotOf(since, this.window);
    return this.load().filter((s) => slotOf(s.at, this.window) >= from);
  }

  async prune(now: string): Promise<number> {
    const kept = this.load();
    const left = pruneWindow(kept, now, this.window);
    if (left.length !== kept.length) await this.save(left);
    return kept.length - left.length;
  }

  async close(): Promise<void> {}
}
