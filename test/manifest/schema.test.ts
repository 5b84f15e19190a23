import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import manifestSchema from '../../lib/manifest/manifest.schema.json' with { type: 'json' };
import stateSchema from '../../lib/state/state.schema.json' with { type: 'json' };

describe('JSON Schemas kept in the repo', () => {
  it('are valid schemas (hvkit skips this check at run time to start faster)', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    expect(ajv.validateSchema(manifestSchema)).toBe(true);
    ajv.addSchema(manifestSchema);
    expect(ajv.validateSchema(stateSchema)).toBe(true);
    expect(() => ajv.compile(stateSchema)).not.toThrow();
  });
});
