import { createRequire } from 'node:module';

let cached: string | undefined;

/**
 * hvkit's version, from its package.json, read once. Resolved through the
 * package's own name (its `exports` lists `./package.json`), so it is found
 * the same way from lib/ under tsx and from the dist/ bundle.
 */
export function hvkitVersion(): string {
  cached ??= (createRequire(import.meta.url)('hvkit/package.json') as { version: string }).version;
  return cached;
}
