import { assertNever } from '../errors';

/** One finding of `hvkit validate`, in the shape of a diagnostic of `terraform validate -json`. */
export interface ValidateDiagnostic {
  severity: 'error' | 'warning';
  /** One line: what is wrong and what to do. */
  summary: string;
  /** More lines, when there are any. @default none */
  detail?: string;
  /** The construct path the finding is about. @default none (the app as a whole) */
  address?: string;
}

/** What `hvkit validate` found: the fleets the app made (when it ran) and every finding. */
export interface ValidateReport {
  fleets: { fleet: string; hosts: number; guests: number }[];
  diagnostics: ValidateDiagnostic[];
  /** Whether the fit of every host (the capacity engine's admission check) was checked too. */
  fit: boolean;
}

export function isValid(r: ValidateReport): boolean {
  return !r.diagnostics.some((d) => d.severity === 'error');
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * The text of a report: findings one per line for stderr, and the verdict line
 * for stdout (`The fleet is valid: 3 hosts, 12 guests.`).
 */
export function renderValidateText(r: ValidateReport): { out: string; err: string } {
  const err = r.diagnostics.map((d) => `${label(d.severity)}: ${d.address ? `${d.address}: ` : ''}${d.summary}${d.detail ? `\n  ${d.detail.split('\n').join('\n  ')}` : ''}\n`).join('');
  const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = r.diagnostics.length - errors;
  const what = r.fleets.length > 1 ? 'The fleets are' : 'The fleet is';
  const sizes = r.fleets.length === 1
    ? `${count(r.fleets[0].hosts, 'host')}, ${count(r.fleets[0].guests, 'guest')}`
    : r.fleets.map((f) => `${f.fleet} (${count(f.hosts, 'host')}, ${count(f.guests, 'guest')})`).join(', ');
  const fit = r.fit ? ', and every host fits its guests' : '';
  const warned = warnings ? ` (${count(warnings, 'warning')})` : '';
  const out = errors
    ? `${what} not valid: ${count(errors, 'error')}${warnings ? `, ${count(warnings, 'warning')}` : ''}.\n`
    : `${what} valid: ${sizes}${fit}${warned}.\n`;
  return { out, err };
}

/** The report as `terraform validate -json` writes it, hvkit's own data under `hvkit`. */
export function renderValidateJson(r: ValidateReport): string {
  const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
  return JSON.stringify({
    format_version: '1.0',
    valid: errors === 0,
    error_count: errors,
    warning_count: r.diagnostics.length - errors,
    diagnostics: r.diagnostics.map((d) => ({
      severity: d.severity,
      summary: d.summary,
      ...(d.detail !== undefined ? { detail: d.detail } : {}),
      ...(d.address !== undefined ? { address: d.address } : {}),
    })),
    hvkit: { fleets: r.fleets, fit: r.fit },
  }, null, 2) + '\n';
}

function label(s: ValidateDiagnostic['severity']): string {
  switch (s) {
    case 'error': return 'Error';
    case 'warning': return 'Warning';
    default: return assertNever(s, 'severity');
  }
}
