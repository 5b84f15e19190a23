import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localDomains, localHostDir, stackSource, stateGuests, tempProject, type TempProject } from '../helpers/project';

/**
 * The new-user trial's fleet: two hosts with host disks sda and sdb, and
 * db-01 on h1's sda; `moved` puts it on h2, on host disk `on`.
 */
function fleet(moved: boolean, on = 'sda', guestProps = ''): string {
  return stackSource(`
const mk = (n: string) => new Host(fleet, n, { cpu: { sockets: 1, cores: 8 }, memory: { slots: 2, maxDimm: '8GiB', dimms: ['8GiB'] }, disks: [{ name: 'sda', size: '500GiB' }, { name: 'sdb', size: '500GiB' }] });
const h1 = mk('h1'), h2 = mk('h2');
new Guest(${moved ? 'h2' : 'h1'}, 'db-01', { role: 'db', vcpus: 1, memory: '1GiB', disks: [{ size: '20GiB', on: '${on}' }]${guestProps} });
`);
}

const DATA = 'rows the database wrote\n';

describe('moving a guest to another host on the local simulator never loses its disk silently', () => {
  let p: TempProject;
  const disks = (host: string) => {
    const dir = `${localHostDir(p.dir, host)}.disks`;
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  };
  const image = (host: string, file: string) => readFileSync(join(`${localHostDir(p.dir, host)}.disks`, file), 'utf8');

  async function deployedWithData(guestProps = ''): Promise<void> {
    p.writeStack(fleet(false, 'sda', guestProps));
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    writeFileSync(join(`${localHostDir(p.dir, 'h1')}.disks`, 'db-01-sda-0.img'), DATA);
  }

  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  it('migrates the guest with its data when only the host changes', async () => {
    await deployedWithData();
    p.writeStack(fleet(true, 'sda'));
    const plan = await p.run(['plan']);
    expect(plan.out).toContain('→ migrate db-01 h1 → h2');
    expect(plan.out).not.toContain('DATA LOSS');
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(disks('h1')).toEqual([]);
    expect(image('h2', 'db-01-sda-0.img')).toBe(DATA);
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('plans a move that also changes the disk’s host disk as a replace that destroys it, and apply leaves what the plan said: no image left behind, the next plan empty', async () => {
    await deployedWithData();
    p.writeStack(fleet(true, 'sdb'));
    const plan = await p.run(['plan']);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toContain('± replace db-01 on h2');
    expect(plan.out).toContain('DATA LOSS: destroys 20GiB on sda of h1');
    expect(plan.out).toContain('cannot migrate h1 → h2 with its data');
    expect(plan.out).not.toContain('migrate db-01');
    expect(plan.out).toContain('1 to replace (destroys 20GiB), 0 to migrate');

    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(localDomains(p.dir)).toEqual(['db-01@h2']);
    expect(stateGuests(p.dir)).toEqual(['db-01@h2']);
    // The loss the plan declared, and nothing more hidden: no orphan image on h1, an empty one at the path the domain names on h2.
    expect(disks('h1')).toEqual([]);
    expect(disks('h2')).toEqual(['db-01-sdb-0.img']);
    expect(image('h2', 'db-01-sdb-0.img')).toBe('');
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('refuses that move for a guest with lifecycle.preventDestroy, keeping its data on h1', async () => {
    const kept = ', lifecycle: { preventDestroy: true }';
    await deployedWithData(kept);
    p.writeStack(fleet(true, 'sdb', kept));
    const plan = await p.run(['plan']);
    expect(plan.code).not.toBe(0);
    expect(plan.err + plan.out).toContain('db-01 has lifecycle.preventDestroy: this plan would destroy its data (replace: cannot migrate h1 → h2');
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code).not.toBe(0);
    expect(localDomains(p.dir)).toEqual(['db-01@h1']);
    expect(image('h1', 'db-01-sda-0.img')).toBe(DATA);
    expect(disks('h2')).toEqual([]);
  });
});
