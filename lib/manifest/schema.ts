import { createRequire } from 'node:module';
import type { Ajv as AjvType, AnySchemaObject, ErrorObject, ValidateFunction } from 'ajv';
import { HvkitError, ValidationError } from '../errors';
import type { Manifest } from './types';
import manifestSchema from './manifest.schema.json' with { type: 'json' };

let ajv: AjvType | undefined;

/** ajv is loaded and set up on first use: commands that validate nothing start faster. */
function instance(): AjvType {
  if (!ajv) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    // Our schemas are checked by the tests; skipping the meta-schema check saves ~50 ms per start.
    ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, validateSchema: false });
    // Other schemas (state) refer to the manifest's definitions by $id.
    ajv.addSchema(manifestSchema as AnySchemaObject);
  }
  return ajv;
}

/** The compiled validator of a schema (compiled once, by its $id). */
export function schemaValidator(schema: AnySchemaObject): ValidateFunction {
  const a = instance();
  const existing = schema.$id ? a.getSchema(schema.$id) : undefined;
  return existing ?? a.compile(schema);
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
    const items: readonly { path: string }[] = list === 'guests' ? m.guests : list === 'hosts' ? m.hosts : [];
    const owner = items[Number(index)]?.path ?? m.path;
    throw new ValidationError([{ path: owner, message: `${describeSchemaError('the manifest', e).replace(/^the manifest: /, 'the built manifest ')}: hvkit let a prop through that its manifest schema refuses; please report this` }]);
  }
  checked.add(m);
  return m;
}
