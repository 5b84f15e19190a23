import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

/**
 * CI sets HVKIT_REQUIRE_TOOLS=1: a missing tool then fails the suite instead
 * of skipping it. Locally a missing tool skips with the printed reason.
 */
export const toolsRequired = process.env.HVKIT_REQUIRE_TOOLS === '1';

export function commandWorks(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}

/** A describe block that needs a real tool: runs, skips with a reason, or fails under CI. */
export function describeWithTool(title: string, tool: string, available: boolean, reason: string, body: () => void): void {
  if (available) {
    describe(title, body);
    return;
  }
  if (toolsRequired) {
    describe(title, () => {
      it(`has ${tool} (required in CI)`, () => {
        throw new Error(`${tool} is required (HVKIT_REQUIRE_TOOLS=1) but not usable: ${reason}`);
      });
    });
    return;
  }
  console.warn(`skipping "${title}": ${tool} is not usable here (${reason}); CI requires it`);
  describe.skip(title, body);
}
