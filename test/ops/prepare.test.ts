import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { providersDir, shippedProvidersDir } from '../../lib/ops/prepare';

const repoProviders = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'providers');

describe('providersDir: where provider scripts come from', () => {
  const dirs: string[] = [];
  const project = () => {
    const d = mkdtempSync(join(tmpdir(), 'hvkit-providers-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('falls back to the scripts shipped in the hvkit package when the project has no providers/ folder', () => {
    expect(providersDir(project(), {})).toBe(shippedProvidersDir());
    expect(shippedProvidersDir()).toBe(repoProviders);
  });

  it("uses the project's own providers/ folder when it has one", () => {
    const d = project();
    mkdirSync(join(d, 'providers'));
    expect(providersDir(d, {})).toBe(join(d, 'providers'));
  });

  it('HVKIT_PROVIDERS_DIR wins over both', () => {
    const d = project();
    mkdirSync(join(d, 'providers'));
    expect(providersDir(d, { HVKIT_PROVIDERS_DIR: 'mine' })).toBe(join(d, 'mine'));
    expect(providersDir(project(), { HVKIT_PROVIDERS_DIR: 'mine' })).toMatch(/mine$/);
  });
});
