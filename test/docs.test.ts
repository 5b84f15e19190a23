import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/project';

/** Every local link or path in the README's prose must exist in a clone of the repository. */
describe('README links', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const targets = [
    ...[...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]),
    ...[...readme.matchAll(/`((?:\.\.\/|docs\/|providers\/)[^`\s]*\.md)`/g)].map((m) => m[1]),
  ].filter((t) => !/^[a-z]+:/.test(t));

  it('finds links to check', () => {
    expect(targets).toContain('docs/design.md');
  });

  it.each(targets)('%s is inside the repository and exists', (t) => {
    const path = resolve(dirname(join(ROOT, 'README.md')), t);
    expect(path.startsWith(ROOT + '/')).toBe(true);
    expect(existsSync(path)).toBe(true);
  });
});
