import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onlyAppFromCdktf } from '../../lib/synth/app-bundle';

describe('onlyAppFromCdktf (may the app get the light cdktf stand-ins?)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hvkit-lite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const check = (source: string) => {
    const file = join(dir, 'app.ts');
    writeFileSync(file, source);
    return onlyAppFromCdktf(file);
  };

  it('accepts named imports of App and Testing', () => {
    expect(check("import { App } from 'cdktf';\nnew App();")).toBe(true);
    expect(check("import { Testing, App as CdktfApp, type AppConfig } from \"cdktf\";")).toBe(true);
  });

  it('refuses anything else of cdktf, or a form it cannot read', () => {
    expect(check("import { App, TerraformStack } from 'cdktf';")).toBe(false);
    expect(check("import * as cdktf from 'cdktf';")).toBe(false);
    expect(check("import { App } from 'cdktf';\nconst x = require('cdktf');")).toBe(false);
    expect(check("export * from 'cdktf';")).toBe(false);
    expect(onlyAppFromCdktf(join(dir, 'missing.ts'))).toBe(false);
  });
});
