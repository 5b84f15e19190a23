import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, symlinkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNTIME_SCHEMAS, writeValidatorModule } from '../../lib/build/schema-codegen';
import { AJV_OPTIONS, GENERATED_VALIDATORS, describeSchemaError, generatedValidator, manifestSchema, schemaValidator } from '../../lib/manifest/schema';
import planFileSchema from '../../lib/plan/plan-file.schema.json' with { type: 'json' };
import stateSchema from '../../lib/state/state.schema.json' with { type: 'json' };
import { WEB_HOST_8G, manifestOf, web } from '../helpers/fleet';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Under the repo's node_modules, so the generated code finds ajv's runtime as it does in dist/.
const dir = mkdtempSync(join(root, 'node_modules', '.cache-schema-codegen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function generated(name: string, schemas: readonly AnySchemaObject[] = RUNTIME_SCHEMAS): string {
  const file = join(dir, `${name}.cjs`);
  writeValidatorModule(file, schemas);
  return file;
}

function compiled(schema: AnySchemaObject): ValidateFunction {
  const ajv = new Ajv(AJV_OPTIONS);
  ajv.addSchema(manifestSchema as AnySchemaObject);
  return ajv.getSchema(schema.$id as string) ?? ajv.compile(schema);
}

/** What a validator says of `data`: its verdict, its first error and hvkit's one line about it. */
function verdict(v: ValidateFunction, data: unknown) {
  const ok = v(structuredClone(data));
  const e = v.errors?.[0];
  return { ok, first: e && { instancePath: e.instancePath, keyword: e.keyword, params: e.params, message: e.message }, line: ok ? '' : describeSchemaError('m.json', e) };
}

const m = manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB', { tags: { team: 'x' } }), b: { role: 'memcached', vcpus: 1, memory: '2GiB', nics: [{}, { bridge: 'br1' }] } } } });
const broken: [string, (x: any) => void][] = [
  ['a guest with a field the schema does not know', (x) => { x.guests[1].colour = 'red'; }],
  ['a guest without its uuid', (x) => { delete x.guests[0].uuid; }],
  ['a bootloader that is a number', (x) => { x.guests[0].bootloader = 1024; }],
  ['a provider outside the enum', (x) => { x.hosts[0].provider = 'vmware'; }],
  ['a MAC that does not match its pattern', (x) => { x.guests[1].nics[1].mac = 'not-a-mac'; }],
  ['a format version of 2', (x) => { x.formatVersion = 2; }],
];

describe('generated schema validators (ajv standalone)', () => {
  const file = generated('current');
  const fast = generatedValidator(file, manifestSchema as AnySchemaObject)!;
  const slow = compiled(manifestSchema as AnySchemaObject);

  it('are used when made from the current schema', () => {
    expect(fast).toBeTypeOf('function');
    expect(generatedValidator(file, stateSchema as AnySchemaObject)).toBeTypeOf('function');
    expect(generatedValidator(file, planFileSchema as AnySchemaObject)).toBeTypeOf('function');
  });

  it('take a valid manifest as the compiled validator does', () => {
    expect(verdict(fast, m)).toEqual({ ok: true, first: undefined, line: '' });
    expect(verdict(slow, m)).toEqual(verdict(fast, m));
  });

  it.each(broken)('refuse %s with the same first error and JSON pointer as the compiled validator', (_, edit) => {
    const bad = structuredClone(m);
    edit(bad);
    const v = verdict(fast, bad);
    expect(v.ok).toBe(false);
    expect(v.line).toMatch(/^m\.json: at \/\S*: /);
    expect(v).toEqual(verdict(slow, bad));
  });

  it('names the JSON pointer of the first bad field, as before', () => {
    const bad = structuredClone(m);
    bad.guests[1].nics[1].mac = 'not-a-mac';
    expect(verdict(fast, bad).line).toBe('m.json: at /guests/1/nics/1/mac: must match pattern "^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$"');
  });

  it('check state, whose schema refers to the manifest schema, as the compiled validator does', () => {
    const fastState = generatedValidator(file, stateSchema as AnySchemaObject)!;
    const slowState = compiled(stateSchema as AnySchemaObject);
    const state = {
      version: 1, lineage: '0f5b7a4e-6c1d-4a2b-9e3f-1a2b3c4d5e6f', serial: 3, fleet: 'tokyo',
      hosts: { h1: { spec: m.hosts[0] } },
      guests: { a: { spec: m.guests[0], provider: 'local', config: '' } },
      inflight: {},
    };
    expect(verdict(fastState, state).ok).toBe(true);
    const bad = structuredClone(state);
    (bad.guests.a.spec as any).memoryMiB = -1;
    expect(verdict(fastState, bad).ok).toBe(false);
    expect(verdict(fastState, bad)).toEqual(verdict(slowState, bad));
  });

  it('are not used when made from another manifest schema: a stale file never validates', () => {
    // A schema that takes a provider the current one refuses: if its validator were used, 'vmware' would pass.
    const old = structuredClone(manifestSchema) as any;
    const provider = old.$defs.host.properties.provider;
    provider.enum = [...provider.enum, 'vmware'];
    const stale = generated('stale', [old, stateSchema as AnySchemaObject]);
    const vmware = structuredClone(m);
    (vmware.hosts[0] as any).provider = 'vmware';
    expect((createRequire(import.meta.url)(stale) as Record<string, ValidateFunction>)[old.$id](vmware)).toBe(true);
    expect(generatedValidator(stale, manifestSchema as AnySchemaObject)).toBeUndefined();
    // The state validator embeds the old manifest definitions, so it is stale too.
    expect(generatedValidator(stale, stateSchema as AnySchemaObject)).toBeUndefined();
  });

  it('are not used when the hash written in the file does not match', () => {
    const edited = join(dir, 'edited.cjs');
    writeFileSync(edited, readFileSync(file, 'utf8').replace(/"[0-9a-f]{64}"/, `"${'0'.repeat(64)}"`));
    expect(generatedValidator(edited, manifestSchema as AnySchemaObject)).toBeUndefined();
  });

  it('are not needed: a missing or broken file leaves ajv to compile the schema', () => {
    expect(generatedValidator(join(dir, 'none.cjs'), manifestSchema as AnySchemaObject)).toBeUndefined();
    const junk = join(dir, 'junk.cjs');
    writeFileSync(junk, 'this is not javascript(');
    expect(generatedValidator(junk, manifestSchema as AnySchemaObject)).toBeUndefined();
    expect(schemaValidator(manifestSchema as AnySchemaObject)).toBeTypeOf('function');
  });

  it('are looked for under the hvkit package root, where bin/build.mjs writes them', () => {
    expect(GENERATED_VALIDATORS).toBe(join('dist', 'schema-validators.cjs'));
    expect(readFileSync(join(root, 'bin', 'build.mjs'), 'utf8')).toContain('writeValidatorModule(join(root, GENERATED_VALIDATORS))');
  });

  // hvkit runs from its CLI bundle in dist/ and compiled into an app's bundle under the project's node_modules/.cache.
  it.each([
    ['the CLI bundle in dist/', 'cli', join('dist', 'hvkit.mjs')],
    ["an app's bundle in a project that has hvkit installed", 'app', join('node_modules', '.cache', 'hvkit', 'app-1.mjs')],
  ])('are found from %s, not only from the source', async (_, name, at) => {
    const pkg = join(dir, `hvkit-${name}`);
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'hvkit' }));
    const file = join(pkg, GENERATED_VALIDATORS);
    writeValidatorModule(file);
    let from = pkg;
    if (name === 'app') {
      from = join(dir, 'project');
      mkdirSync(join(from, 'node_modules'), { recursive: true });
      writeFileSync(join(from, 'package.json'), JSON.stringify({ name: 'my-fleet' }));
      symlinkSync(pkg, join(from, 'node_modules', 'hvkit'));
    }
    const bundle = join(from, at);
    const { build } = await import('esbuild');
    await build({ entryPoints: [join(root, 'lib', 'manifest', 'schema.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent' });
    // Forget files other copies of hvkit in this process found (the source's dist/), to see what this copy finds.
    (globalThis as Record<symbol, Set<string>>)[Symbol.for('hvkit.generatedValidatorFiles')]?.clear();
    const copy = (await import(pathToFileURL(bundle).href)) as typeof import('../../lib/manifest/schema');
    const made = createRequire(import.meta.url)(file) as Record<string, ValidateFunction>;
    expect(copy.schemaValidator(copy.manifestSchema as AnySchemaObject)).toBe(made[manifestSchema.$id]);
    expect(copy.schemaValidator(stateSchema as AnySchemaObject)).toBe(made[stateSchema.$id]);
  });
});
