#!/usr/bin/env node
// hvkit runs its TypeScript through tsx's loader: no build step after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
const code = await main(process.argv);
// The one place hvkit exits: flush what was written, then leave with the command's code.
process.stdout.write('', () => process.exit(code));
