import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSampleStore } from '../../lib/state/file-sample-store';
import { CLOCK, sample, sampleStoreConformance } from './sample-conformance';

const dir = mkdtempSync(join(tmpdir(), 'hvkit-samples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

sampleStoreConformance('file', async () => FileSampleStore.beside(join(dir, `fleet-${n++}.json`)));

describe('FileSampleStore', () => {
  it('keeps its samples beside the state file, as one JSON document', async () => {
    const s = FileSampleStore.beside(join(dir, 'tokyo.json'));
    await s.append([sample('host-a', 0, 1)], CLOCK);
    expect(s.file).toBe(join(dir, 'tokyo.json.samples'));
    expect(JSON.parse(readFileSync(s.file, 'utf8'))).toEqual({ format: 1, samples: [sample('host-a', 0, 1)] });
  });

  it('refuses a file it cannot read in one line naming it, and leaves it as it was', async () => {
    const file = join(dir, 'broken.json.samples');
    writeFileSync(file, '{"format": 1, "samp');
    const s = new FileSampleStore(file);
    await expect(s.append([sample('host-a', 0, 1)], CLOCK)).rejects.toThrow(`measured load ${file} is not JSON`);
    expect(readFileSync(file, 'utf8')).toBe('{"format": 1, "samp');
  });
});
