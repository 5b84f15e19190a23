import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localDomains, readState, stackSource, stateGuests, tempProject, type TempProject } from '../helpers/project';

/** host-a and host-b: 4 GiB each (3.5 GiB for guests); 1.5 GiB guests, two to a host at most. */
const DEPLOYED = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1.5GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1.5GiB' });
new Guest(b, 'db-01', { role: 'db', vcpus: 1, memory: '1GiB' });
`);

/**
 * The code after a change: web-01 gets a second vCPU (a restart), web-02
 * moves to host-b and frees room on host-a for a new cache-01, db-01 changes
 * role (state only), and a new host-c gets a new guest.
 */
const CHANGED = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
const c = new Host(fleet, 'host-c', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 2, maxVcpus: 2, memory: '1.5GiB' });
new Guest(b, 'web-02', { role: 'web', vcpus: 1, memory: '1.5GiB' });
new Guest(a, 'cache-01', { role: 'memcached', vcpus: 1, memory: '1.5GiB' });
new Guest(b, 'db-01', { role: 'database', vcpus: 1, memory: '1GiB' });
new Guest(c, 'new-01', { role: 'web', vcpus: 1, memory: '1GiB' });
`);

interface JsonPlan {
  complete: boolean;
  resource_changes: { address: string; change: { actions: string[] }; action_reason?: string }[];
  hvkit: { steps: { id: string; dependsOn: string[] }[]; targets?: string[]; diagnostics: { severity: string; code: string; message: string }[] };
}

describe('plan and apply --target / --replace, and hvkit destroy', () => {
  let p: TempProject;
  const planJson = async (...args: string[]): Promise<JsonPlan> => {
    const r = await p.run(['plan', '--json', ...args]);
    expect(r.err).toBe('');
    return JSON.parse(r.out);
  };
  const stepIds = (doc: JsonPlan) => doc.hvkit.steps.map((s) => s.id);
  const changed = (doc: JsonPlan) => doc.resource_changes.filter((c) => c.change.actions[0] !== 'no-op').map((c) => `${c.address} ${c.change.actions.join(',')}`);

  beforeEach(async () => {
    p = tempProject();
    p.writeStack(DEPLOYED);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  describe('--target', () => {
    beforeEach(() => p.writeStack(CHANGED));

    it('plans only the named guest: web-01 restarts, nothing else changes', async () => {
      const doc = await planJson('--target', 'web-01');
      expect(stepIds(doc)).toEqual(['update-restart:web-01']);
      expect(changed(doc)).toEqual(['null_resource.guest_web-01 update']);
    });

    it('brings a new host along for a new guest on it (add-host, then create)', async () => {
      const doc = await planJson('-target=new-01');
      expect(stepIds(doc)).toEqual(['add-host:host-c', 'create:new-01']);
      expect(doc.hvkit.steps[1].dependsOn).toEqual(['add-host:host-c']);
    });

    it("takes every guest of a named host, arriving or staying, and the host a migration leaves", async () => {
      const doc = await planJson('--target', 'tokyo/host-b');
      expect(stepIds(doc).sort()).toEqual(['migrate:web-02', 'update-record:db-01']);
      expect(changed(doc).sort()).toEqual(['null_resource.guest_db-01 update', 'null_resource.guest_web-02 update']);
    });

    it('refuses cache-01 on host-a while web-02, untargeted, still holds the room the full plan frees', async () => {
      const r = await p.run(['plan', '--target', 'cache-01']);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/Error: tokyo\/host-a: memory .* exceeds 4GiB installed/);
      expect(r.out).toContain('This plan has errors and cannot be applied.');
      const apply = await p.run(['apply', '--auto-approve', '--target', 'cache-01']);
      expect(apply.code).toBe(1);
      expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-a']);
    });

    it('plans cache-01 once web-02 is targeted too: the move first, then the create', async () => {
      const doc = await planJson('--target', 'cache-01,web-02');
      expect(stepIds(doc)).toEqual(['migrate:web-02', 'create:cache-01']);
      expect(doc.hvkit.steps[1].dependsOn).toEqual(['migrate:web-02']);
    });

    it('says the plan is partial in text, markdown and JSON', async () => {
      const text = await p.run(['plan', '--target', 'web-01']);
      expect(text.out).toContain('Warning: tokyo: Resource targeting is in effect (--target web-01): the plan covers only the guest web-01 and host host-a;');
      const md = await p.run(['plan', '--markdown', '--target', 'web-01']);
      expect(md.out).toMatch(/^> \*\*Warning\*\* Resource targeting is in effect/m);
      const doc = await planJson('--target', 'web-01');
      expect(doc.complete).toBe(false);
      expect(doc.hvkit.targets).toEqual(['web-01']);
      expect(doc.hvkit.diagnostics.map((d) => `${d.severity} ${d.code}`)).toContain('warning targeting');
      const full = await planJson();
      expect(full.hvkit.targets).toBeUndefined();
      expect(full.hvkit.diagnostics.map((d) => d.code)).not.toContain('targeting');
    });

    it('names the closest guest or host for an address that names nothing, in one line', async () => {
      const r = await p.run(['plan', '--target', 'web-1']);
      expect(r.code).toBe(1);
      expect(r.err).toBe("Error: --target web-1: no guest or host of that name or construct path in code or state; did you mean 'web-01'?\n");
      const path = await p.run(['plan', '--target', 'tokyo/host-a/web-1']);
      expect(path.err).toBe("Error: --target tokyo/host-a/web-1: no guest or host of that name or construct path in code or state; did you mean 'tokyo/host-a/web-01'?\n");
    });

    it('applies a saved targeted plan without repeating --target, and only what it planned', async () => {
      expect((await p.run(['plan', '--target', 'web-02', '--out', 'partial.json'])).code).toBe(0);
      const other = await p.run(['apply', '--target', 'web-01', 'partial.json']);
      expect(other.code).toBe(1);
      expect(other.err).toContain('the saved plan was made with --target web-02, not --target web-01');
      const r = await p.run(['apply', 'partial.json']);
      expect(r.code).toBe(0);
      expect(r.out).toContain('Apply complete: 0 created, 0 updated, 1 migrated, 0 destroyed in');
      expect(r.err).toContain('Warning: Applied changes may be incomplete: resource targeting was in effect');
      expect(stateGuests(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-b']);
      expect(readState(p.dir).guests['web-01'].spec.vcpus).toBe(1);
      expect(readState(p.dir).hosts['host-c']).toBeUndefined();
      // What was left out is still there to plan.
      expect(stepIds(await planJson()).sort()).toEqual(['add-host:host-c', 'create:cache-01', 'create:new-01', 'update-record:db-01', 'update-restart:web-01']);
    });
  });

  describe('--replace', () => {
    it('replaces a guest code did not change, by request', async () => {
      const doc = await planJson('-replace=web-01');
      expect(stepIds(doc)).toEqual(['replace:web-01']);
      const web01 = doc.resource_changes.find((c) => c.address === 'null_resource.guest_web-01')!;
      expect(web01.change.actions).toEqual(['delete', 'create']);
      expect(web01.action_reason).toBe('replace_by_request');
      expect((await p.run(['plan', '--replace', 'web-01'])).out).toContain('± replace web-01 on host-a');
    });

    it('must be asked for again to apply a saved replace plan', async () => {
      expect((await p.run(['plan', '--replace', 'web-01', '--out', 'r.json'])).out).toContain('hvkit apply --replace web-01 r.json');
      const plain = await p.run(['apply', 'r.json']);
      expect(plain.code).toBe(1);
      expect(plain.err).toContain('apply it with `hvkit apply --replace web-01 FILE`');
      const r = await p.run(['apply', '--replace', 'web-01', 'r.json']);
      expect(r.code).toBe(0);
      expect(r.out).toContain('1 replaced');
    });

    it('refuses a guest that is not deployed, and a host', async () => {
      p.writeStack(CHANGED);
      expect((await p.run(['plan', '--replace', 'cache-01'])).err).toBe('Error: --replace cache-01: is not deployed (state has no record of it), so there is nothing to replace; `hvkit apply` creates it\n');
      expect((await p.run(['plan', '--replace', 'host-a'])).err).toContain('--replace host-a: is a host; --replace takes guests');
    });
  });

  describe('hvkit destroy', () => {
    it('tears the whole fleet down: the simulator and state are left empty', async () => {
      const r = await p.run(['destroy', '--auto-approve']);
      expect(r.code).toBe(0);
      expect(r.out).toContain('- destroy web-01 on host-a');
      expect(r.out).toContain('- retire host host-a');
      expect(localDomains(p.dir)).toEqual([]);
      const state = readState(p.dir);
      expect(state.guests).toEqual({});
      expect(state.hosts).toEqual({});
      expect((await p.run(['destroy', '--auto-approve'])).out).toContain('No changes. State records nothing this destroy would remove.');
    });

    it('streams apply --json events for a destroy, counting every guest and host record removed', async () => {
      const r = await p.run(['destroy', '--json', '--auto-approve']);
      expect(r.code).toBe(0);
      const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.at(-1)).toMatchObject({ type: 'change_summary', changes: { add: 0, change: 0, remove: 5 } });
      expect(localDomains(p.dir)).toEqual([]);
    });

    it('with --target removes only those guests, and a named host with all its guests', async () => {
      expect((await p.run(['destroy', '--auto-approve', '--target', 'web-02'])).code).toBe(0);
      expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a']);
      expect(stateGuests(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a']);
      expect((await p.run(['destroy', '--auto-approve', '--target', 'host-b'])).code).toBe(0);
      expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
      expect(Object.keys(readState(p.dir).hosts)).toEqual(['host-a']);
    });

    it('refuses without a terminal and without --auto-approve, and changes nothing', async () => {
      const before = readState(p.dir);
      const r = await p.run(['destroy']);
      expect(r.code).toBe(1);
      expect(r.err).toBe('Error: destroy asks for confirmation on a terminal; without one, pass --auto-approve, or save the plan (hvkit destroy --out FILE), review it and apply it with `hvkit apply --destroy FILE`. Nothing was destroyed\n');
      expect(readState(p.dir)).toEqual(before);
      expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-a']);
    });

    it('shows the plan and asks on a terminal: anything but "yes" destroys nothing', async () => {
      const no = await p.run(['destroy', '--target', 'web-01'], { tty: true, answer: 'y', env: { NO_COLOR: '1' } });
      expect(no.code).toBe(1);
      expect(no.out).toContain('- destroy web-01 on host-a');
      expect(localDomains(p.dir)).toContain('web-01@host-a');
      expect((await p.run(['destroy', '--target', 'web-01'], { tty: true, answer: 'yes', env: { NO_COLOR: '1' } })).code).toBe(0);
      expect(localDomains(p.dir)).not.toContain('web-01@host-a');
    });

    it('refuses to destroy a guest code protects, though the protection was never applied, naming its construct path', async () => {
      p.writeStack(DEPLOYED.replace("new Guest(b, 'db-01', { role: 'db',", "new Guest(b, 'db-01', { lifecycle: { preventDestroy: true }, role: 'db',"));
      const before = readState(p.dir);
      for (const args of [['destroy', '--auto-approve'], ['destroy', '--auto-approve', '--target', 'db-01'], ['destroy', '--auto-approve', '--target', 'host-b']]) {
        const r = await p.run(args);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.err).toBe('Error: the plan has errors, so nothing was applied:\n  tokyo/host-b/db-01: db-01 has lifecycle.preventDestroy: this plan would destroy its data (destroy: hvkit destroy; destroys the domain (it has no disks)); set lifecycle.preventDestroy: false in code and apply, then destroy\n');
        expect(readState(p.dir)).toEqual(before);
        expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-a']);
      }
      const unprotected = await p.run(['destroy', '--auto-approve', '--target', 'web-01']);
      expect(unprotected.code, unprotected.err).toBe(0);
    });

    it('saves a destroy plan that applies only when the operator says --destroy', async () => {
      const saved = await p.run(['plan', '--destroy', '--out', 'teardown.json']);
      expect(saved.out).toContain('apply exactly this plan with: hvkit apply --destroy teardown.json');
      const plain = await p.run(['apply', 'teardown.json']);
      expect(plain.code).toBe(1);
      expect(plain.err).toContain('the saved plan is a destroy plan (hvkit plan --destroy --out), which is not what this command asks to apply');
      expect(localDomains(p.dir)).toHaveLength(3);
      expect((await p.run(['apply', '--destroy', 'teardown.json'])).code).toBe(0);
      expect(localDomains(p.dir)).toEqual([]);
      expect(readState(p.dir).guests).toEqual({});
    });
  });
});
