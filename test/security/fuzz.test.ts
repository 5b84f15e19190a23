import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HvkitError } from '../../lib/errors';
import { canonicalize, sha256 } from '../../lib/manifest/canonical';
import { loadPlan } from '../../lib/plan/plan-file';
import { FileStateStore } from '../../lib/state/file-store';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';
import { seededRandom } from '../helpers/random';


type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in a JSON tree. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}

const ODD_VALUES: Json[] = [null, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 1.5, '', 'x', '\x1b]0;t\x07\x1b[2J', '../../../../etc', 'a\u0000b', true, false, [], {}, [null], { __proto__: 1 } as unknown as Json, 'constructor', '-oProxyCommand=x'];
const ODD_KINDS = ['format-disk', '__proto__', 'constructor', 'CREATE', ''];

/** One random edit of a JSON document: wrong type, null, deleted or extra key, huge number, control characters, a self-dependency, an unknown kind, `__proto__`. */
function mutate(doc: Json, r: () => number): string {
  const copy = structuredClone(doc);
  const all = paths(copy).filter((p) => p.length > 0);
  const n = 1 + Math.floor(r() * 3);
  let extraProto = false;
  for (let i = 0; i < n; i++) {
    const p = all[Math.floor(r() * all.length)];
    const parent = p.slice(0, -1).reduce<Json | undefined>((o, k) => (o as Record<string | number, Json> | null | undefined)?.[k], copy) as Record<string | number, Json> | Json[];
    const key = p[p.length - 1];
    if (parent === null || parent === undefined || typeof parent !== 'object') continue;
    const op = Math.floor(r() * 7);
    const target = parent as Record<string | number, Json>;
    if (op === 0) target[key] = ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
    else if (op === 1) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete target[key];
    } else if (op === 2) target[key] = typeof target[key] === 'string' ? `${target[key]}\x1b[8m\x07` : 'x';
    else if (op === 3 && target[key] && typeof target[key] === 'object' && !Array.isArray(target[key])) (target[key] as Record<string, Json>)[`extra${i}`] = 'surprise';
    else if (op === 4 && key === 'kind') target[key] = ODD_KINDS[Math.floor(r() * ODD_KINDS.length)];
    else if (op === 5) {
      const step = target as Record<string, Json>;
      if (typeof step.id === 'string' && Array.isArray(step.dependsOn)) step.dependsOn.push(step.id);
      else target[key] = typeof target[key] === 'number' ? Number.MAX_VALUE : -1;
    } else extraProto = true;
  }
  // JSON.parse makes `"__proto__"` an own key: the dangerous shape for a naive merge or look-up.
  const text = JSON.stringify(copy);
  return extraProto ? text.replace(/^\{/, '{"__proto__":{"polluted":true},') : text;
}

/**
 * Each case run through the CLI synthesizes the fleet: dozens of runs, about a minute on a
 * quiet 2-core machine and several on a loaded one. A test cut off by a timeout would
 * leave its last apply writing into the next one's project, so the bound is generous.
 */
const FUZZ_TIMEOUT_MS = 600_000;

describe('seeded fuzz of saved plans and state files', () => {
  let p: TempProject;
  let plan: Json;
  let state: string;
  let snapshot: string;
  const stateFile = () => join(p.dir, '.hvkit/state/tokyo.json');
  const restore = () => {
    rmSync(join(p.dir, '.hvkit'), { recursive: true, force: true });
    cpSync(snapshot, join(p.dir, '.hvkit'), { recursive: true });
  };

  beforeAll(async () => {
    p = tempProject();
    p.writeStack(stackSource(`
const h = new Host(fleet, 'h1', ${LOCAL_HOST});
new Guest(h, 'web-01', { role: 'web', vcpus: 1, memory: '512MiB', tags: { team: 'a' } });
`));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    p.writeStack(stackSource(`
const h = new Host(fleet, 'h1', ${LOCAL_HOST});
new Guest(h, 'web-01', { role: 'web', vcpus: 1, memory: '768MiB', tags: { team: 'a' } });
new Guest(h, 'web-02', { role: 'web', vcpus: 1, memory: '512MiB' });
`));
    expect((await p.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    plan = JSON.parse(readFileSync(join(p.dir, 'plan.json'), 'utf8'));
    state = readFileSync(stateFile(), 'utf8');
    snapshot = join(p.dir, 'snapshot');
    cpSync(join(p.dir, '.hvkit'), snapshot, { recursive: true });
  });
  afterAll(() => p.cleanup());

  it('refuses mutated saved plans with one clear error, never a crash or a state change (1,000 cases)', async () => {
    const r = seededRandom(0x5eed);
    let viaCli = 0;
    let accepted = 0;
    for (let i = 0; i < 1000; i++) {
      const text = mutate(plan, r);
      const doc = JSON.parse(text);
      // Most cases recompute the checksum, as an attacker would; the rest must fail the checksum.
      if (r() < 0.9 && doc && typeof doc === 'object' && 'plan' in doc) doc.checksum = sha256(JSON.stringify(doc.plan));
      const file = join(p.dir, 'fuzz.json');
      writeFileSync(file, text.startsWith('{"__proto__"') ? text.replace(/"checksum":"[0-9a-f]*"/, `"checksum":"${doc.checksum}"`) : JSON.stringify(doc));
      let loaded = false;
      try {
        loadPlan(file);
        loaded = true;
      } catch (e) {
        expect(e, `case ${i}: ${text.slice(0, 300)}`).toBeInstanceOf(HvkitError);
        expect((e as Error).message).not.toMatch(/TypeError|Cannot read|undefined is not/);
      }
      if (loaded) accepted++;
      // What loadPlan accepts goes through the whole apply (the first 15: each one synthesizes the fleet), and a sample of what it refuses.
      if ((loaded && accepted <= 15) || i % 100 === 0) {
        viaCli++;
        const out = await p.run(['apply', 'fuzz.json']);
        expect(out.err, `case ${i}`).not.toContain('internal error');
        if (out.code !== 0) {
          expect(readFileSync(stateFile(), 'utf8'), `case ${i} changed state after refusing: ${out.err}`).toBe(state);
          expect(out.err).toMatch(/^Error: /);
        } else {
          // Applied: only allowed when the edit left what executes (changes, steps) exactly as reviewed.
          const executes = (d: { plan?: { changes?: unknown; steps?: unknown } }) => JSON.stringify(canonicalize([d?.plan?.changes, d?.plan?.steps]));
          expect(executes(doc), `case ${i} applied an edited plan: ${text.slice(0, 300)}`).toBe(executes(plan as never));
          restore();
        }
      }
    }
    expect(viaCli).toBeGreaterThan(20);
  }, FUZZ_TIMEOUT_MS);

  it('reads mutated state files as state or one clear error, and plan/apply never change a refused one (1,000 cases)', async () => {
    const r = seededRandom(0xc0ffee);
    const base = JSON.parse(state) as Json;
    for (let i = 0; i < 1000; i++) {
      const text = mutate(base, r);
      writeFileSync(stateFile(), text);
      let refused = false;
      try {
        await new FileStateStore(stateFile()).read();
      } catch (e) {
        refused = true;
        expect(e, `case ${i}: ${text.slice(0, 300)}`).toBeInstanceOf(HvkitError);
        expect((e as Error).message).not.toMatch(/TypeError|Cannot read|undefined is not/);
      }
      if (i % 50 === 0) {
        for (const args of [['plan'], ['apply', 'plan.json'], ['guests']]) {
          const out = await p.run(args);
          expect(out.err, `case ${i} ${args.join(' ')}`).not.toContain('internal error');
          if (refused || out.code !== 0) expect(readFileSync(stateFile(), 'utf8'), `case ${i} ${args.join(' ')}`).toBe(text);
          if (out.code === 0 && args[0] === 'apply') {
            restore();
            writeFileSync(stateFile(), text);
          }
        }
      }
      expect(existsSync(`${stateFile()}.lock`), `case ${i} left a lock`).toBe(false);
    }
    restore();
  }, FUZZ_TIMEOUT_MS);
});
