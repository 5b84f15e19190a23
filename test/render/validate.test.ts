import { describe, expect, it } from 'vitest';
import { isValid, renderValidateJson, renderValidateText, type ValidateReport } from '../../lib/render/validate';

const FLEETS = [{ fleet: 'osaka', hosts: 1, guests: 1 }, { fleet: 'tokyo', hosts: 3, guests: 12 }];

describe('renderValidateText', () => {
  it('names every fleet with its sizes when the app has several', () => {
    const r: ValidateReport = { fleets: FLEETS, diagnostics: [], fit: false };
    expect(renderValidateText(r)).toEqual({ out: 'The fleets are valid: osaka (1 host, 1 guest), tokyo (3 hosts, 12 guests).\n', err: '' });
  });

  it('keeps a fleet with only warnings valid, and counts them', () => {
    const r: ValidateReport = {
      fleets: [FLEETS[1]], fit: true,
      diagnostics: [{ severity: 'warning', summary: 'cpu load 3.4 exceeds 3.1 cores', address: 'tokyo/db-host-01' }],
    };
    expect(isValid(r)).toBe(true);
    expect(renderValidateText(r)).toEqual({
      out: 'The fleet is valid: 3 hosts, 12 guests, and every host fits its guests (1 warning).\n',
      err: 'Warning: tokyo/db-host-01: cpu load 3.4 exceeds 3.1 cores\n',
    });
  });

  it('puts the detail of a finding on indented lines under it', () => {
    const r: ValidateReport = { fleets: [], fit: false, diagnostics: [{ severity: 'error', summary: 'the app failed', detail: 'line one\nline two' }] };
    expect(renderValidateText(r)).toEqual({ out: 'The fleet is not valid: 1 error.\n', err: 'Error: the app failed\n  line one\n  line two\n' });
  });
});

describe('renderValidateJson', () => {
  it('counts errors and warnings apart and leaves out what a diagnostic does not have', () => {
    const r: ValidateReport = {
      fleets: [FLEETS[1]], fit: true,
      diagnostics: [
        { severity: 'error', summary: 'memory 9GiB exceeds 8GiB installed', address: 'tokyo/web-host-01' },
        { severity: 'warning', summary: 'network over', address: 'tokyo/web-host-02' },
      ],
    };
    expect(JSON.parse(renderValidateJson(r))).toEqual({
      format_version: '1.0', valid: false, error_count: 1, warning_count: 1,
      diagnostics: [
        { severity: 'error', summary: 'memory 9GiB exceeds 8GiB installed', address: 'tokyo/web-host-01' },
        { severity: 'warning', summary: 'network over', address: 'tokyo/web-host-02' },
      ],
      hvkit: { fleets: [FLEETS[1]], fit: true },
    });
  });
});
