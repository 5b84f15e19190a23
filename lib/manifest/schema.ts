import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvType, AnySchemaObject, ErrorObject, Options, ValidateFunction } from 'ajv';
import { HvkitError, ValidationError } from '../errors';
import type { Manifest } from './types';
import manifestSchema from './manifest.schema.json' with { type: 'json' };

/** How hvkit's ajv is set up; the generated validators are made with the same options. */
export const AJV_OPTIONS: Options = { allErrors: false, strict: true, allowUnionTypes: true, validateSchema: false };

/** Where bin/build.mjs writes the generated validators, under hvkit's package root (gitignored). */
export const GENERATED_VALIDATORS = join('dist', 'schema-validators.cjs');

/** The export of the generated module that holds the sha256 of each schema it was made from, by $id. */
export const GENERATED_HASHES = '__hvkitSchemaHashes';

/** The sha256 of a schema as parsed: what a generated validator must have been made from to be used. */
export function schemaHash(schema: AnySchemaObject): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

const require = createRequire(import.meta.url);
let ajv: AjvType | undefined;

/** ajv is loaded and set up on first use: commands that validate nothing start faster. */
function instance(): AjvType {
  if (!ajv) {
    const { Ajv } = require('ajv') as typeof import('ajv');
    // Our schemas are checked by the tests; skipping the meta-schema check saves ~50 ms per start.
    ajv = new Ajv(AJV_OPTIONS);
    // Other schemas (state) refer to the manifest's definitions by $id.
    ajv.addSchema(manifestSchema as AnySchemaObject);
  }
  return ajv;
}

let manifestHash: string | undefined;
const loaded = new Map<string, Record<string, unknown> | null>();

/**
 * The validator of `schema` in the generated module `file`, if that module
 * was made from this very schema and from the manifest schema it may refer
 * to; otherwise (missing, unreadable or stale) undefined.
 */
export function generatedValidator(file: string, schema: AnySchemaObject): ValidateFunction | undefined {
  const id = schema.$id;
  if (typeof id !== 'string') return undefined;
  let mod = loaded.get(file);
  if (mod === undefined) {
    try {
      mod = existsSync(file) ? (require(file) as Record<string, unknown>) : null;
    } catch {
      // A file that will not load is as good as none: ajv compiles the schema instead.
      mod = null;
    }
    loaded.set(file, mod);
  }
  const hashes = mod?.[GENERATED_HASHES] as Record<string, string> | undefined;
  const validate = mod?.[id];
  if (!hashes || typeof validate !== 'function') return undefined;
  manifestHash ??= schemaHash(manifestSchema as AnySchemaObject);
  if (hashes[manifestSchema.$id] !== manifestHash || hashes[id] !== schemaHash(schema)) return undefined;
  return validate as ValidateFunction;
}

/** Files found by any copy of hvkit in this process (an app bundles its own), shared on globalThis. */
const FOUND_KEY = Symbol.for('hvkit.generatedValidatorFiles');
const found: Set<string> = ((globalThis as Record<symbol, unknown>)[FOUND_KEY] ??= new Set<string>()) as Set<string>;

/**
 * The package root of a package.json named hvkit at `dir` or above it, not
 * looking past a node_modules folder (a package there is not the one above).
 */
function hvkitRootAbove(dir: string): string | undefined {
  for (let d = dir; basename(d) !== 'node_modules'; d = dirname(d)) {
    try {
      if ((JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string }).name === 'hvkit') return d;
    } catch {
      // No package.json here, or not one we can read: look further up.
    }
    if (dirname(d) === d) return undefined;
  }
  return undefined;
}

/**
 * Where the generated validators may be. hvkit runs from its source, from
 * its bundle in dist/, and compiled into an app's bundle under the project's
 * node_modules/.cache (the project then has hvkit installed, or is hvkit), so
 * the package root is looked for, not a path relative to this file; a stale
 * or foreign file is harmless as its hashes are checked.
 */
function generatedFiles(): string[] {
  const roots: (string | undefined)[] = [];
  let here: string | undefined;
  try {
    here = fileURLToPath(import.meta.url);
  } catch {
    here = undefined;
  }
  if (here) {
    roots.push(hvkitRootAbove(dirname(here)));
    try {
      roots.push(dirname(createRequire(here).resolve('hvkit/package.json')));
    } catch {
      // hvkit is not installed where this file is.
    }
  }
  roots.push(hvkitRootAbove(process.cwd()));
  const files = roots.filter((r): r is string => r !== undefined).map((r) => join(r, GENERATED_VALIDATORS));
  return [...new Set([...found, ...files])];
}

const validators = new WeakMap<object, ValidateFunction>();

/** The validator of a schema: the generated one when it was made from this schema, else compiled by ajv (once, by its $id). */
export function schemaValidator(schema: AnySchemaObject): ValidateFunction {
  let v = validators.get(schema);
  if (v) return v;
  for (const file of generatedFiles()) {
    v = generatedValidator(file, schema);
    if (v) {
      found.add(file);
      break;
    }
  }
  if (!v) {
    const a = instance();
    v = (schema.$id ? a.getSchema(schema.$id) : undefined) ?? a.compile(schema);
  }
  validators.set(schema, v);
  return v;
}

export { manifestSchema };
/** One line naming the JSON pointer of the first bad field and why. */
export function describeSchemaError(source: string, e: ErrorObject | undefined): string {
  if (!e) return `${source}: does not match its schema`;
  const pointer = e.instancePath || '/';
  let why = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') why = `has unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  if (e.keyword === 'required') why = `is missing field '${(e.params as { missingProperty: string }).missingProperty}'`;
  if (e.keyword === 'enum') why = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${source}: at ${pointer}: ${why}`;
}

/** Parses JSON text and checks it against a schema, or throws one clear line. */
export function parseAndValidate<T>(source: string, text: string, schema: AnySchemaObject, what: string, fix: string): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new HvkitError(`${source}: is not valid JSON (${(e as Error).message}); ${fix}`);
  }
  const validate = schemaValidator(schema);
  if (!validate(data)) {
    throw new HvkitError(`${describeSchemaError(source, validate.errors?.[0])}; this ${what} was edited by hand or cut short: ${fix}`);
  }
  return data as T;
}

/**
 * Manifests buildManifest made and held to the schema. Kept on globalThis, so
 * a second copy of hvkit (an app bundled with its own) shares it.
 */
const CHECKED_KEY = Symbol.for('hvkit.schemaCheckedManifests');
const checked: WeakSet<object> = ((globalThis as Record<symbol, unknown>)[CHECKED_KEY] ??= new WeakSet<object>()) as WeakSet<object>;

/** True if `m` came from buildManifest, which held it to the schema. */
export function isSchemaChecked(m: object): boolean {
  return checked.has(m);
}

/**
 * Holds a manifest buildManifest made to the schema: a prop the builder let
 * through that the schema refuses is a ValidationError on the construct that
 * has it, not a crash in a renderer later.
 */
export function checkBuiltManifest(m: Manifest): Manifest {
  const validate = schemaValidator(manifestSchema as AnySchemaObject);
  const data: unknown = m;
  if (!validate(data)) {
    const e = validate.errors?.[0];
    const pointer = e?.instancePath ?? '';
    const [, list, index] = pointer.split('/');
    const items: readonly { path: string }[] = list === 'guests' ? m.guests : list === 'unplaced' ? (m.unplaced ?? []) : list === 'hosts' ? m.hosts : [];
    const owner = items[Number(index)]?.path ?? m.path;
    throw new ValidationError([{ path: owner, message: `${describeSchemaError('the manifest', e).replace(/^the manifest: /, 'the built manifest ')}: hvkit let a prop through that its manifest schema refuses; please report this` }]);
  }
  checked.add(m);
  return m;
}
