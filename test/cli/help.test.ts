import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../lib/cli/context';
import { buildProgram, main } from '../../lib/cli/main';
import { ROOT } from '../helpers/project';

function io(): Io & { text: () => string } {
  let out = '';
  return { out: (t) => (out += t), err: (t) => (out += t), isTty: false, cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, text: () => out };
}

/** Every command path the CLI registers, hidden ones and subcommands included: `['state', 'rm']`. */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

async function help(path: string[]): Promise<{ code: number; out: string }> {
  const o = io();
  const code = await main(['node', 'hvkit', ...path, '--help'], o);
  return { code, out: o.text() };
}

const PACKAGE_VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

describe('--help', () => {
  // Walks what is registered, so a command added later without withUsage fails here.
  const paths = commandPaths(buildProgram(io(), () => {}));

  it('finds every command, subcommands included', () => {
    const names = paths.map((p) => p.join(' '));
    for (const c of ['synth', 'validate', 'plan', 'show', 'apply', 'state list', 'state rm', 'state mv', 'state show', 'state unlock', 'version']) expect(names).toContain(c);
  });

  it.each(paths.map((p) => [p.join(' '), p]))('hvkit %s --help shows an example and its exit codes', async (_, path) => {
    const r = await help(path as string[]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\nExamples:\n {2}\$ hvkit /);
    expect(r.out).toMatch(/\nExit codes:\n {2}0 {2}\S/);
    expect(r.out).toMatch(/\n {2}1 {2}\S/);
  });

  it('hvkit --help shows them too', async () => {
    const r = await help([]);
    expect(r.out).toContain('Examples:');
    expect(r.out).toContain('Exit codes:');
  });

  it('says exit code 2 where a command exits 2 (plan and rebuild with --detailed-exitcode), and not for apply', async () => {
    for (const cmd of ['plan', 'rebuild']) expect((await help([cmd])).out).toContain('\n  2  with --detailed-exitcode only: the plan has changes and no errors');
    expect((await help(['apply'])).out).not.toMatch(/\n {2}2 {2}/);
  });
});

describe('the version', () => {
  it.each([['--version'], ['-v'], ['-version']])('hvkit %s prints package.json\'s version', async (flag) => {
    const o = io();
    expect(await main(['node', 'hvkit', flag], o)).toBe(0);
    expect(o.text()).toBe(`${PACKAGE_VERSION}\n`);
  });

  it('hvkit version prints it as Terraform does, and as JSON with --json', async () => {
    const o = io();
    expect(await main(['node', 'hvkit', 'version'], o)).toBe(0);
    expect(o.text()).toBe(`hvkit ${PACKAGE_VERSION}\n`);
    const j = io();
    expect(await main(['node', 'hvkit', 'version', '--json'], j)).toBe(0);
    expect(JSON.parse(j.text())).toEqual({ hvkit_version: PACKAGE_VERSION });
  });
});
