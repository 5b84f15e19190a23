/**
 * npm run bench — hvkit's speed and memory targets, measured end to end.
 *
 *   plan:  `hvkit plan` of generated fleets of 1,000 / 10,000 / 50,000 guests
 *          (construct tree → manifest → fit → diff → order → text), wall time
 *          and peak RSS; targets 10,000 < 1.5 s, 50,000 < 8 s and 1 GB.
 *   apply: 1,000 guest creations on the local provider layout with no-op
 *          scripts at parallelism 1, 4 and 16; per-step overhead. Terraform
 *          takes 40 s for the same work at parallelism 10 on this machine.
 *
 * Each figure is the median of RUNS runs (default 3; this machine is noisy).
 * Options: --quick (1,000 and 10,000 only), --runs N, --terraform (also time
 * `terraform apply` of 1,000 terraform_data resources with a trivial local-exec).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 3;
const quick = args.includes('--quick');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall seconds, CPU seconds (user + sys) and peak RSS (MB) of one command, through GNU time. */
function timed(cmd: string[], cwd: string, env: NodeJS.ProcessEnv): { s: number; cpu: number; mb: number; code: number | null } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...cmd], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'pipe'] });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [s, kb, user, sys] = last.split(' ').map(Number);
  if (r.status !== 0 && r.status !== 2) throw new Error(`${cmd.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  return { s, cpu: Math.round((user + sys) * 100) / 100, mb: Math.round(kb / 1024), code: r.status };
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hvkit-bench-'));
  for (const f of ['package.json', 'cdktf.json']) cpSync(join(root, f), join(dir, f));
  cpSync(join(root, 'bench'), join(dir, 'bench'), { recursive: true });
  for (const d of ['lib', 'node_modules', 'bin', 'dist']) symlinkSync(join(root, d), join(dir, d));
  return dir;
}

const hvkit = (dir: string) => [process.execPath, join(dir, 'bin', 'hvkit.mjs')];
const APP = ['--app', 'npx tsx bench/fleet.ts'];

spawnSync(process.execPath, [join(root, 'bin', 'build.mjs')], { stdio: 'inherit' });
const rows: string[] = [];
const dir = project();
try {
  console.log(`hvkit plan (median of ${runs}):`);
  // CPU time says more than wall time when the machine is shared: it leaves out waiting for a core.
  console.log('  guests   wall s   cpu s   peak MB   target');
  for (const n of quick ? [1000, 10000] : [1000, 10000, 50000]) {
    const xs = Array.from({ length: runs }, () => timed([...hvkit(dir), 'plan', ...APP, '--state', join(dir, 'none.json')], dir, { BENCH_GUESTS: String(n), NO_COLOR: '1' }));
    const target = n === 10000 ? '< 1.5 s' : n === 50000 ? '< 8 s, < 1024 MB' : '';
    const line = `  ${String(n).padStart(6)}   ${median(xs.map((x) => x.s)).toFixed(2).padStart(6)}   ${median(xs.map((x) => x.cpu)).toFixed(2).padStart(5)}   ${String(median(xs.map((x) => x.mb))).padStart(7)}   ${target}`;
    console.log(line);
    rows.push(`plan ${n}: ${line.trim()}`);
  }

  console.log(`\nhvkit apply, 1,000 guests (+250 add-host steps), no-op provider scripts (median of ${runs}):`);
  console.log('  parallelism   wall s   steps/s   ms/step   vs terraform 40 s');
  const planOnly = median(Array.from({ length: runs }, () => timed([...hvkit(dir), 'plan', ...APP, '--state', join(dir, 'none.json')], dir, { BENCH_GUESTS: '1000' }).s));
  for (const p of [1, 4, 16]) {
    const xs = Array.from({ length: runs }, () => {
      rmSync(join(dir, '.hvkit'), { recursive: true, force: true });
      return timed([...hvkit(dir), 'apply', '--auto-approve', '--parallelism', String(p), '--per-host', '2', ...APP], dir, { BENCH_GUESTS: '1000', HVKIT_PROVIDERS_DIR: 'bench/providers', NO_COLOR: '1' }).s;
    });
    const wall = median(xs);
    const steps = 1250;
    const line = `  ${String(p).padStart(11)}   ${wall.toFixed(2).padStart(6)}   ${(steps / (wall - planOnly)).toFixed(0).padStart(7)}   ${(((wall - planOnly) * 1000) / steps).toFixed(2).padStart(7)}   ${(40 / wall).toFixed(1)}× faster`;
    console.log(line);
    rows.push(`apply p=${p}: ${line.trim()}`);
  }
  console.log(`  (ms/step excludes the ${planOnly.toFixed(2)} s the run spends planning first)`);

  if (args.includes('--terraform')) {
    const tf = mkdtempSync(join(tmpdir(), 'hvkit-tf-'));
    const resource: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) resource[`g${i}`] = { provisioner: [{ 'local-exec': { command: 'true' } }] };
    writeFileSync(join(tf, 'main.tf.json'), JSON.stringify({ resource: { terraform_data: resource } }));
    mkdirSync(join(tf, '.terraform'), { recursive: true });
    spawnSync('terraform', ['init', '-input=false'], { cwd: tf, stdio: 'ignore' });
    const t = timed(['terraform', 'apply', '-auto-approve', '-input=false', '-parallelism=10'], tf, { TF_CLI_CONFIG_FILE: '' });
    console.log(`\nterraform apply, 1,000 terraform_data with local-exec, parallelism 10: ${t.s.toFixed(1)} s`);
    rmSync(tf, { recursive: true, force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
