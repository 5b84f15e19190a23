import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB', disks: [{ size: '10GiB', on: 'sda' }] });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
`);
const EPOCH = { SOURCE_DATE_EPOCH: '1790000000' };
const SAVED_LINE = /\nSaved the plan to plan\.bin; apply exactly this plan with: hvkit apply plan\.bin\n$/;

describe('hvkit show PLANFILE', () => {
  let p: TempProject;
  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    // Something to show: a resize and a removal.
    p.writeStack(STACK.replace("memory: '1GiB', disks", "memory: '2GiB', disks").replace("new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });", ''));
  });
  afterEach(() => p.cleanup());

  it('prints the text plan printed when it saved the file, without running the app or reading state', async () => {
    const plan = await p.run(['plan', '--out', 'plan.bin']);
    expect(plan.out).toMatch(SAVED_LINE);
    // Neither code nor state is needed: both are gone.
    p.writeStack("throw new Error('the app must not run');\n");
    writeFileSync(join(p.dir, '.hvkit', 'state', 'tokyo.json'), 'garbage');
    const r = await p.run(['show', 'plan.bin']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(plan.out.replace(SAVED_LINE, ''));
    expect(r.out).toMatch(/~ update.* web-01 on host-a/);
  });

  it('prints the markdown and JSON plan prints, byte for byte', async () => {
    const md = await p.run(['plan', '--out', 'plan.bin', '--markdown']);
    const json = await p.run(['plan', '--json'], { env: EPOCH });
    expect((await p.run(['show', 'plan.bin', '--markdown'])).out).toBe(md.out);
    expect((await p.run(['show', 'plan.bin', '--json'], { env: EPOCH })).out).toBe(json.out);
  });

  it('says how a saved rebuild is applied, as rebuild --out did', async () => {
    p.writeStack(STACK);
    expect((await p.run(['rebuild', 'host-a', '--out', 'rebuild.bin'])).code).toBe(0);
    const r = await p.run(['show', 'rebuild.bin']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('\nThis plan is a rebuild; apply it with: hvkit apply --rebuild host-a rebuild.bin\n');
  });

  describe('refuses in one line', () => {
    const oneLine = async (file: string, expected: string) => {
      const r = await p.run(['show', file]);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain(expected);
    };

    it('a missing file, saying how to make one', () => oneLine('nope.bin', 'nope.bin: no such file; save a plan to show or apply with `hvkit plan --out FILE`'));

    it('a file that is not a plan, or cut short', async () => {
      writeFileSync(join(p.dir, 'cut.bin'), '{"kind":"hvkit-plan","formatVer');
      await oneLine('cut.bin', 'is not an hvkit plan (not JSON, or cut short)');
    });

    it("the app's source, without advice that would write a plan over it", async () => {
      const r = await p.run(['show', 'stacks/main.ts']);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`Error: ${join(p.dir, 'stacks/main.ts')}: is not an hvkit plan (not JSON, or cut short): a saved plan is the file \`hvkit plan --out plan.bin\` writes: save one and pass that file\n`);
      expect(r.err).not.toContain('--out stacks/main.ts');
    });

    it('a JSON file that is not a plan', async () => {
      writeFileSync(join(p.dir, 'cdk.json'), '{"app":"npx tsx main.ts"}');
      await oneLine('cdk.json', 'cdk.json: is not an hvkit plan: a saved plan is the file `hvkit plan --out plan.bin` writes: save one and pass that file');
    });

    it('an edited plan (checksum)', async () => {
      await p.run(['plan', '--out', 'plan.bin']);
      const file = join(p.dir, 'plan.bin');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"web-01"', '"web-09"'));
      await oneLine('plan.bin', 'the plan was changed after it was saved (checksum mismatch)');
    });

    it('a plan of format 1', async () => {
      cpSync(join(import.meta.dirname, '..', 'fixtures', 'plan-format-1', 'plan.json'), join(p.dir, 'old.bin'));
      await oneLine('old.bin', 'was saved by an older hvkit (plan format 1; this one reads format 2)');
    });
  });
});
