import { describe, expect, it } from 'vitest';
import { appFile, appScript, tsxFile } from '../../lib/synth/app-command';

describe('appScript (the one reading of an app command)', () => {
  const table: [string, ReturnType<typeof appScript>][] = [
    ['npx tsx stacks/main.ts', { runner: 'tsx', options: [], file: 'stacks/main.ts', args: [], at: 1 }],
    ['tsx ./stacks/main.ts', { runner: 'tsx', options: [], file: './stacks/main.ts', args: [], at: 1 }],
    ['npx --no-install tsx stacks/main.ts', { runner: 'tsx', options: [], file: 'stacks/main.ts', args: [], at: 1 }],
    ['tsx stacks/main.ts --region tokyo', { runner: 'tsx', options: [], file: 'stacks/main.ts', args: ['--region', 'tokyo'], at: 1 }],
    ['tsx --tsconfig tsconfig.app.json stacks/main.ts', { runner: 'tsx', options: ['--tsconfig', 'tsconfig.app.json'], file: 'stacks/main.ts', args: [], at: 3 }],
    ['tsx watch stacks/main.ts', { runner: 'tsx', options: ['watch'], file: 'stacks/main.ts', args: [], at: 2 }],
    ['ts-node stacks/main.ts', { runner: 'ts-node', options: [], file: 'stacks/main.ts', args: [], at: 1 }],
    ['npx ts-node stacks/main.mts', { runner: 'ts-node', options: [], file: 'stacks/main.mts', args: [], at: 1 }],
    ['node dist/main.js', { runner: 'node', options: [], file: 'dist/main.js', args: [], at: 1 }],
    ['node --enable-source-maps dist/main.cjs', { runner: 'node', options: ['--enable-source-maps'], file: 'dist/main.cjs', args: [], at: 2 }],
    ['node -r ts-node/register stacks/main.ts', { runner: 'node', options: ['-r', 'ts-node/register'], file: 'stacks/main.ts', args: [], at: 3 }],
    ['npx tsx', undefined],
    ['make synth', undefined],
    ['python3 main.py', undefined],
  ];
  it.each(table)('reads `%s`', (command, expected) => {
    expect(appScript(command.split(' '))).toEqual(expected);
  });

  it('gives the same answer to everyone who asks: the file to name, and whether hvkit may build it itself', () => {
    for (const [command, expected] of table) {
      const argv = command.split(' ');
      expect(appFile(argv)).toBe(expected?.file);
      const plainTsx = expected?.runner === 'tsx' && expected.options.length === 0 && expected.args.length === 0;
      expect(tsxFile(argv)).toBe(plainTsx ? expected.file : undefined);
    }
  });
});
