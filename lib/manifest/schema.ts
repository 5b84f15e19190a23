import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { HvkitError } from '../errors';

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const compiled = new Map<string, ValidateFunction>();
// Other schemas (state, plan) refer to the manifest's definitions by $id.
ajv.addSchema(JSON.parse(readFileSync(new URL('./manifest.schema.json', import.meta.url), 'utf8')));

/** Compiles (once) a JSON Schema kept next to this file. */
export function schemaValidator(file: string | URL): ValidateFunction {
  const url = typeof file === 'string' ? new URL(file, import.meta.url) : file;
  let v = compiled.get(url.href);
  if (!v) {
    const schema = JSON.parse(readFileSync(url, 'utf8'));
    if (schema.$id && ajv.getSchema(schema.$id)) {
      v = ajv.getSchema(schema.$id)!;
      compiled.set(url.href, v);
      return v;
    }
    v = ajv.compile(schema);
    compiled.set(url.href, v);
  }
  return v;
}

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
export function parseAndValidate<T>(source: string, text: string, schemaFile: string | URL, what: string, fix: string): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new HvkitError(`${source}: is not valid JSON (${(e as Error).message}); ${fix}`);
  }
  const validate = schemaValidator(schemaFile);
  if (!validate(data)) {
    throw new HvkitError(`${describeSchemaError(source, validate.errors?.[0])}; this ${what} was edited by hand or cut short: ${fix}`);
  }
  return data as T;
}
