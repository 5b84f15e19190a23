// Shared plumbing for provider scripts: read the input, answer on stdout's
// last line, log on stderr, fail with an exit status. See providers/README.md.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class ProviderError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * The input document: JSON on stdin from `hvkit apply`, or, when Terraform's
 * local-exec calls `VERB --manifest FILE --guest NAME`, built by hvkit from
 * the manifest so both paths render the same config.
 */
export function readInput(verb, argv = process.argv.slice(2)) {
  const i = argv.indexOf('--manifest');
  if (i >= 0) {
    const manifest = resolve(argv[i + 1]);
    const guest = argv[argv.indexOf('--guest') + 1];
    // Terraform runs local-exec in cdktf.out/stacks/<fleet>; hvkit runs scripts in the project.
    process.chdir(ROOT);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'hvkit.mjs'), 'provider-input', '--manifest', manifest, '--guest', guest, '--verb', verb], { encoding: 'utf8' });
    if (r.status !== 0) throw new ProviderError(`cannot build the input from ${manifest}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout);
  }
  const text = readFileSync(0, 'utf8');
  return text.trim() ? JSON.parse(text) : {};
}

export function log(message) {
  process.stderr.write(`${message}\n`);
}

/** Runs a verb's handler and speaks the contract: result JSON last on stdout, exit 0; or stderr and an exit status. */
export async function run(verb, handler) {
  try {
    const input = readInput(verb);
    const result = (await handler(input)) ?? {};
    process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
  } catch (e) {
    log(`${verb}: ${e.message}`);
    process.exitCode = e.exitCode ?? 1;
  }
}
