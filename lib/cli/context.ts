import type { Command } from 'commander';

/** Where a command writes; tests pass their own. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTty: boolean;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Reads one line from the terminal (apply's confirmation). */
  readonly ask?: (question: string) => Promise<string>;
}

/** Options every command that reads the fleet shares. */
export interface FleetOptions {
  app?: string;
  fleet?: string;
  state?: string;
  /** `--state-backend file|pg`. */
  stateBackend?: string;
  color?: boolean;
  /** `--lock-timeout`, on the commands that take the state lock. */
  lockTimeout?: string;
}

export function addFleetOptions(cmd: Command): Command {
  return cmd
    .option('--app <command>', 'command that runs the fleet app (default: "app" in cdktf.json)')
    .option('--fleet <name>', 'fleet to work on when the app has several')
    .option('--state <path>', 'state file (default: .hvkit/state/<fleet>.json)')
    .option('--state-backend <backend>', STATE_BACKEND_HELP)
    .option('--no-color', 'plain output without colour (also NO_COLOR)');
}

/** How `--state-backend` is described, on every command that has it. */
export const STATE_BACKEND_HELP = "where state lives: file (default) or pg (PostgreSQL at HVKIT_PG_CONN); also HVKIT_STATE_BACKEND, or the Fleet's state prop where the command runs the app";

export function useColor(io: Io, opts: { color?: boolean }): boolean {
  if (opts.color === false) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return io.isTty;
}

/** For the commands that take the state lock: how long to wait for another holder (Terraform's -lock-timeout). */
export function addLockTimeoutOption(cmd: Command): Command {
  return cmd.option('--lock-timeout <duration>', 'wait this long for a state lock another process holds (500ms, 30s, 2m), then fail naming it', '0s');
}

/** The flags hvkit also takes in Terraform's one-dash spelling. */
const TERRAFORM_FLAGS = ['-lock-timeout', '-target', '-replace', '-destroy'];
/** Terraform's flags that take no value and have no `=` form. */
const TERRAFORM_SWITCHES = ['-version'];

/**
 * Terraform spells its flags with one dash (`-lock-timeout=30s`,
 * `-target=web-01`, `-version`); commander would read that as a bundle of
 * short flags, so it becomes `--lock-timeout=30s`.
 */
export function terraformStyleFlags(argv: readonly string[]): string[] {
  return argv.map((a) => (TERRAFORM_SWITCHES.includes(a) || TERRAFORM_FLAGS.some((f) => a === f || a.startsWith(`${f}=`)) ? `-${a}` : a));
}

/** For a repeatable option: `--target a --target b,c` collects every value (split on commas later, by normalizeAddresses). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--target` (and `--replace` where a plan can recreate guests), as Terraform's -target and -replace. */
export function addTargetOptions(cmd: Command, opts: { replace: boolean; target?: string }): Command {
  cmd.option('--target <address>', opts.target ?? 'limit the plan to these guests or hosts (name or construct path; repeat or separate with commas) and what they depend on', collect);
  if (opts.replace) cmd.option('--replace <guest>', 'destroy and create these guests again although code did not change them (repeat or separate with commas)', collect);
  return cmd;
}
