// The remote side of the ssh stand-in: file commands acting inside the fake
// host root $XL_ROOT (absolute paths are taken relative to it), each recorded.
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function main(cmd) {
  const argv = process.argv.slice(2);
  appendFileSync(process.env.HVKIT_XEN_RECORD, JSON.stringify(['remote', cmd, ...argv]) + '\n');
  const root = process.env.XL_ROOT;
  const operands = [];
  let options = true;
  for (let i = 0; i < argv.length; i++) {
    if (options && argv[i] === '--') { options = false; continue; }
    if (options && argv[i].startsWith('-')) { if (['-s', '-o', '-P'].includes(argv[i])) i++; continue; }
    operands.push(argv[i]);
  }
  const inRoot = (p, r = root) => join(r, p);
  switch (cmd) {
    case 'tee': {
      const f = inRoot(operands[0]);
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, readFileSync(0));
      break;
    }
    case 'mkdir':
      for (const d of operands) mkdirSync(inRoot(d), { recursive: true });
      break;
    case 'truncate':
      for (const f of operands) { mkdirSync(dirname(inRoot(f)), { recursive: true }); writeFileSync(inRoot(f), ''); }
      break;
    case 'rm':
      for (const f of operands) rmSync(inRoot(f), { force: true });
      break;
    case 'mv':
      renameSync(inRoot(operands[0]), inRoot(operands[1]));
      break;
    case 'ls':
      // `ls -d -- PATH`: whether PATH exists.
      if (!existsSync(inRoot(operands[0]))) process.exit(2);
      process.stdout.write(`${operands[0]}\n`);
      break;
    case 'scp': {
      const [src, to] = operands;
      const at = to.indexOf(':');
      const dst = inRoot(to.slice(at + 1), join(process.env.HVKIT_XEN_ROOT, to.slice(0, at)));
      mkdirSync(dirname(dst), { recursive: true });
      copyFileSync(inRoot(src), dst);
      break;
    }
    default:
      process.stderr.write(`remote stand-in: unsupported ${cmd}\n`);
      process.exit(1);
  }
}
