import { HvkitError } from '../errors';
import { describeSchemaError, parseAndValidate, schemaValidator } from '../manifest/schema';
import { upgradeIntents } from './intent';
import { upgradeGuestRecords } from './upgrade-records';
import stateSchema from './state.schema.json' with { type: 'json' };
import type { State } from './types';

/**
 * Parses and schema-checks a stored state, and upgrades what older hvkit
 * versions wrote (in-flight records without a version, guest specs without
 * fields added since) to the current shape.
 * @param location where the state is, for messages
 * @param fix what the user should do when it is unreadable @default restore or fix it by hand
 */
export function readState(location: string, text: string, fix = 'restore it or fix it by hand before running hvkit again'): State {
  const stored = parseAndValidate<State>(`state ${location}`, text, stateSchema, 'state file', fix);
  return { ...stored, guests: upgradeGuestRecords(stored.guests), inflight: upgradeIntents(stored.inflight) };
}

/**
 * Checks and upgrades a stored state already parsed, as readState does a text:
 * the pg backend parses its records one by one.
 * @param location where the state is, for messages
 * @param fix what the user should do when it is unreadable
 */
export function checkState(location: string, data: unknown, fix: string): State {
  const validate = schemaValidator(stateSchema);
  if (!validate(data)) throw new HvkitError(`${describeSchemaError(`state ${location}`, validate.errors?.[0])}; this state was edited by hand or written by a broken hvkit: ${fix}`);
  const stored = data as State;
  return { ...stored, guests: upgradeGuestRecords(stored.guests), inflight: upgradeIntents(stored.inflight) };
}
