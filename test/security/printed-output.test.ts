import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { roleColor } from '../../lib/render/html';
import { printable, printableLine, terminalSafe } from '../../lib/render/printable';
import { style } from '../../lib/render/style';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';

const ATTACK = '\x1b]0;title\x07\x1b[2J';
/** Any control character but newline, tab and the colours hvkit paints itself. */
const foreign = (text: string) => text.replace(/\x1b\[(?:1|2|22|3[1-6]|39|90)m/g, '').match(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);

describe('printable text', () => {
  it('escapes control characters from untrusted sources as visible text', () => {
    expect(printable(`a${ATTACK}b\n\tc\x9b`)).toBe('a\\x1b]0;title\\x07\\x1b[2Jb\n\tc\\x9b');
    expect(printableLine('a\nb\tc')).toBe('a\\x0ab\\x09c');
  });

  it("lets through only hvkit's own colours: no title, clear, cursor move, background or concealed text", () => {
    const s = style(true);
    const painted = `${s.paint('red', 'destroy')} ${s.paint('bold', 'x')} ${s.paint('dim', 'y')}`;
    expect(terminalSafe(painted)).toBe(painted);
    expect(terminalSafe(`${ATTACK}\x1b[8mhidden\x1b[28m\x1b[41mbg\x1b[1A\r\x85`)).toBe('\\u001b]0;title\\u0007\\u001b[2J\\u001b[8mhidden\\u001b[28m\\u001b[41mbg\\u001b[1A\\u000d\\u0085');
    expect(foreign(terminalSafe(`${painted}${ATTACK}`))).toBeNull();
  });

  it('keeps JSON valid when a string carries DEL or a C1 control raw', () => {
    const json = JSON.stringify({ note: 'a\x7fb\x85c' });
    expect(JSON.parse(terminalSafe(json))).toEqual({ note: 'a\x7fb\x85c' });
  });
});

describe('what the CLI prints', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  it('never passes a terminal escape from a construct id to the terminal during plan', async () => {
    p.writeStack(stackSource(`
const h = new Host(fleet, 'h1', ${LOCAL_HOST});
new Guest(h, ${JSON.stringify(`g1${ATTACK}`)}, { name: 'g1', role: 'web', vcpus: 1, memory: '256MiB' });
`));
    for (const tty of [false, true]) {
      const r = await p.run(['plan'], { tty });
      expect(r.out + r.err).not.toBe('');
      expect(foreign(r.out), r.out).toBeNull();
      expect(foreign(r.err), r.err).toBeNull();
    }
  });

  it("shows a failing provider's stderr with its control characters escaped", async () => {
    p.writeStack(stackSource(`
const h = new Host(fleet, 'h1', ${LOCAL_HOST});
new Guest(h, 'g1', { role: 'web', vcpus: 1, memory: '256MiB' });
`));
    const dir = join(p.dir, 'hostile', 'local');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'facts'), `#!/bin/sh\necho '{"memoryMiB": 4096}'\n`);
    writeFileSync(join(dir, 'create'), `#!/bin/sh\nprintf 'boom \\033]0;owned\\007\\033[2J\\n' >&2\nexit 3\n`);
    for (const v of ['facts', 'create']) chmodSync(join(dir, v), 0o755);
    const r = await p.run(['apply', '--auto-approve'], { env: { HVKIT_PROVIDERS_DIR: 'hostile' } });
    expect(r.code).toBe(1);
    expect(r.err).toContain('boom \\u001b]0;owned\\u0007\\u001b[2J');
    expect(foreign(r.err)).toBeNull();
  });
});

describe('report look-ups by user strings', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('gives the role %s a palette colour, never a prototype property', (role) => {
    expect(roleColor(role)).toMatch(/^#[0-9a-f]{6}$/);
  });
});
