/**
 * uxsv.ip_alias for real, inside a private network namespace holding a veth
 * pair (nothing is routed anywhere; TEST-NET-1 addresses). Skipped when
 * namespaces cannot be created here.
 */
import { execFileSync } from 'node:child_process';
import { rmdirSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { quote } from '../../../engine/connection/quote.js';
import type { ModuleContext } from '../../../engine/modules/types.js';
import { ipAlias, RUN_DIR } from '../../../library/uxsv.ip_alias.js';
import { localContext, runModule } from '../../helpers/module-context.js';

const ns = `uxsvtest${process.pid}`;
const iface = `uxa${process.pid % 100000}`;

function canUseNetns(): boolean {
  try {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c',
      `ip link add ${iface} type veth peer name ${iface}p && ip link set ${iface} up && ip addr add 192.0.2.1/24 dev ${iface}`], { stdio: 'ignore' });
    return true;
  } catch {
    // A namespace made before a later step failed is not left behind.
    try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* never made */ }
    return false;
  }
}

/** A local context whose commands run inside the namespace. */
function netnsContext(check = false): ModuleContext {
  const base = localContext({ check });
  return { ...base, run: (command, options) => base.run(`ip netns exec ${ns} sh -c ${quote(command)}`, options) };
}

const usable = canUseNetns();

describe.skipIf(!usable)('uxsv.ip_alias in a private namespace', () => {
  afterAll(() => {
    try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* already gone */ }
    rmSync(`${RUN_DIR}/${iface}`, { force: true });
    // The record folders, only when the test created them (rmdir fails on a non-empty folder).
    for (const d of [RUN_DIR, '/run/uxsv']) try { rmdirSync(d); } catch { /* in use or absent */ }
  });

  const ipShow = async () => (await netnsContext().run(`ip -o -4 addr show dev ${iface}`)).stdout.toString();

  it('adds, keeps, swaps and removes aliases; the primary stays', async () => {
    const args = { interface: iface, addresses: [{ address: '192.0.2.21/24', label: `${iface}:1` }] };
    const check = await runModule(ipAlias, args, netnsContext(true));
    expect(check).toMatchObject({ changed: true, added: ['192.0.2.21/24'], primary: '192.0.2.1/24' });
    expect(await ipShow()).not.toContain('192.0.2.21');

    const added = await runModule(ipAlias, args, netnsContext());
    expect(added).toMatchObject({ changed: true, added: ['192.0.2.21/24'], removed: [], addresses: ['192.0.2.21/24'] });
    expect(added.garp).toBeDefined();
    expect(await ipShow()).toMatch(new RegExp(`192\\.0\\.2\\.21/24 .*${iface}:1`));
    expect((await runModule(ipAlias, args, netnsContext())).changed).toBe(false);

    const swapped = await runModule(ipAlias, { interface: iface, addresses: ['192.0.2.23/24'], garp: false }, netnsContext());
    expect(swapped).toMatchObject({ changed: true, added: ['192.0.2.23/24'], removed: ['192.0.2.21/24'] });

    // Someone else's address is left alone.
    await netnsContext().run(`ip addr add 192.0.2.99/24 dev ${iface}`);
    const absent = await runModule(ipAlias, { interface: iface, state: 'absent' }, netnsContext());
    expect(absent).toMatchObject({ changed: true, removed: ['192.0.2.23/24'] });
    const left = await ipShow();
    expect(left).toContain('192.0.2.1/24');
    expect(left).toContain('192.0.2.99/24');
    expect(left).not.toContain('192.0.2.23');
    expect((await runModule(ipAlias, { interface: iface, state: 'absent' }, netnsContext())).changed).toBe(false);
  });
});
