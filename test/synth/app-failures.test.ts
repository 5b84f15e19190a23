import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project';

/** The two ways hvkit runs an app: built in its own process (plan's fast path) or as a child process (synth, other commands). */
const WAYS = [
  { way: 'in hvkit’s own process', args: ['plan'], env: {} },
  { way: 'in a separate process', args: ['plan'], env: { HVKIT_APP_PROCESS: 'separate' } },
  { way: 'under synth', args: ['synth'], env: {} },
] as const;

const IMPORTS = {
  cdktf: "import { App } from 'cdktf';\nimport { Fleet, Host, Guest } from 'hvkit';",
  hvkit: "import { App, Fleet, Host, Guest } from 'hvkit';",
  testing: "import { Testing } from 'cdktf';\nimport { Fleet, Host, Guest } from 'hvkit';\nconst App = class { constructor() { return Testing.app(); } } as unknown as typeof import('cdktf').App;",
};

const BROKEN_FLEETS = `const app = new App();
const f = new Fleet(app, 'tokyo');
const h = new Host(f, 'h1', { cpu: { cores: 2 }, memory: { slots: 1, maxDimm: '4GiB', dimms: ['8GiB'] }, disks: [] });
new Guest(h, 'g1', { role: 'web', vcpus: 1, memory: '8 gigs' });
const osaka = new Fleet(app, 'osaka');
new Host(new Host(osaka, 'h2', { cpu: { cores: 2 }, memory: { slots: 1, maxDimm: '4GiB', dimms: ['4GiB'] }, disks: [] }), 'stray', { cpu: { cores: 2 }, memory: { slots: 1, maxDimm: '4GiB', dimms: ['4GiB'] }, disks: [] });
app.synth();
`;

describe('a fleet app that goes wrong', () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
  });
  afterAll(() => p.cleanup());

  for (const [from, imports] of Object.entries(IMPORTS)) {
    for (const { way, args, env } of WAYS) {
      it(`prints every validation problem of every fleet one per line, App from ${from}, ${way}`, async () => {
        p.writeStack(`${imports}\n${BROKEN_FLEETS}`, 'stacks/broken.ts');
        const r = await p.run([...args, '--app', 'npx tsx stacks/broken.ts'], { env });
        expect(r.code).toBe(1);
        expect(r.err).toBe(
          'Error: 3 problems in 2 fleets (osaka, tokyo):\n' +
          '  tokyo/h1: memory.dimms[0] 8GiB exceeds maxDimm 4GiB: use DIMMs the mainboard takes\n' +
          "  tokyo/h1/g1: memory: size '8 gigs' is not a size like '512MiB' or '5.5GiB'\n" +
          '  osaka/h2/stray: a Host must be created inside a Fleet, not inside another Host\n',
        );
        expect(r.out).toBe('');
      });
    }
  }

  it('prints all of thirty problems, none cut off', async () => {
    const guests = Array.from({ length: 30 }, (_, i) => `new Guest(h, 'g${i}', { role: 'web', vcpus: 1, memory: 'lots' });`).join('\n');
    p.writeStack(`${IMPORTS.cdktf}\nconst app = new App();\nconst h = new Host(new Fleet(app, 'tokyo'), 'h1', { cpu: { cores: 2 }, memory: { slots: 1, maxDimm: '4GiB', dimms: ['4GiB'] }, disks: [] });\n${guests}\napp.synth();\n`, 'stacks/many.ts');
    const r = await p.run(['synth', '--app', 'npx tsx stacks/many.ts']);
    const lines = r.err.trimEnd().split('\n');
    expect(lines[0]).toBe('Error: 30 problems in the fleet:');
    expect(lines).toHaveLength(31);
    expect(lines[1]).toBe("  tokyo/h1/g0: memory: size 'lots' is not a size like '512MiB' or '5.5GiB'");
  });

  for (const { way, args, env } of WAYS) {
    it(`names the file and line of an app that throws, on one line, ${way}`, async () => {
      p.writeStack(`${IMPORTS.cdktf}\nconst app = new App();\nnew Fleet(app, 'tokyo');\nthrow new Error('cannot reach the inventory');\n`, 'stacks/throws.ts');
      const r = await p.run([...args, '--app', 'npx tsx stacks/throws.ts'], { env });
      expect(r).toMatchObject({ code: 1, err: 'Error: the app stacks/throws.ts failed at stacks/throws.ts:5:7: cannot reach the inventory\n' });
    });

    it(`names the file of an app that calls process.exit, ${way}`, async () => {
      p.writeStack(`${IMPORTS.cdktf}\nconst app = new App();\nnew Fleet(app, 'tokyo');\nprocess.exit(4);\n`, 'stacks/exits.ts');
      const r = await p.run([...args, '--app', 'npx tsx stacks/exits.ts'], { env });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Error: the app stacks\/exits\.ts failed: (it called process\.exit\(4\)|it exited with code 4)\n$/);
    });

    it(`names the file of an app that does not exist, ${way}`, async () => {
      const r = await p.run([...args, '--app', 'npx tsx stacks/nowhere.ts'], { env });
      expect(r).toMatchObject({ code: 1, err: 'Error: the app file stacks/nowhere.ts does not exist: fix "app" in cdktf.json or --app (it runs `npx tsx stacks/nowhere.ts`)\n' });
    });

    it(`says to call app.synth() when the app never does, ${way}`, async () => {
      p.writeStack(`${IMPORTS.cdktf}\nconst app = new App();\nnew Host(new Fleet(app, 'tokyo'), 'h1', { cpu: { cores: 2 }, memory: { slots: 1, maxDimm: '4GiB', dimms: ['4GiB'] }, disks: [] });\n`, 'stacks/nosynth.ts');
      const r = await p.run([...args, '--app', 'npx tsx stacks/nosynth.ts'], { env });
      expect(r).toMatchObject({ code: 1, err: 'Error: the app stacks/nosynth.ts created fleet tokyo but never synthesized it: call app.synth() at the end of the app (cdktf apps must)\n' });
    });
  }

  it('does not end hvkit when the app calls process.exit(0) after synthesizing', async () => {
    p.writeStack(`${IMPORTS.cdktf}\nconst app = new App();\nconst h = new Host(new Fleet(app, 'tokyo'), 'h1', { cpu: { cores: 2 }, memory: { slots: 1, maxDimm: '4GiB', dimms: ['4GiB'] }, disks: [] });\nnew Guest(h, 'g1', { role: 'web', vcpus: 1, memory: '1GiB' });\napp.synth();\nprocess.exit(0);\n`, 'stacks/exit0.ts');
    const r = await p.run(['plan', '--app', 'npx tsx stacks/exit0.ts']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('+ create g1 on h1');
  });
});
