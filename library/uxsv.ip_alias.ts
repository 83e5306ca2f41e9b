/**
 * uxsv.ip_alias (ours): the set of extra IPv4 addresses ("aliases") this module
 * manages on one interface, used to carry a failed host's service addresses.
 *
 * Managed addresses are recorded in /run/uxsv/ip-aliases/IFACE (gone at boot,
 * like the addresses) and, with persist, in /etc/uxsv/ip-aliases/IFACE, which a
 * oneshot unit (uxsv-ip-aliases.service) reapplies at boot. Only recorded
 * addresses, or addresses carrying a label of the set, are ever removed, and
 * never the interface's primary address (the first one the module did not add).
 */
import { quote } from '../engine/connection/quote.js';
import { writeFileAtomic } from '../engine/modules/lib/fileops.js';
import { boolSchema, toBool } from '../engine/modules/lib/args.js';
import type { Module, ModuleContext, Plan } from '../engine/modules/types.js';
import { lines, parseSections, runChecked, runText, sectionScript } from '../engine/modules/system/util.js';

export interface AliasSpec {
  address: string;
  label?: string;
}

export interface IpAliasArgs {
  interface?: string;
  addresses?: Array<AliasSpec | string>;
  state?: 'present' | 'absent';
  garp?: unknown;
  persist?: unknown;
}

/** An address on the interface as `ip -o -4 addr show` lists it. */
export interface InterfaceAddress {
  address: string;
  label: string;
}

export interface IpAliasState {
  iface: string;
  current: InterfaceAddress[];
  runRecord: AliasSpec[];
  etcRecord: AliasSpec[];
  etcExists: boolean;
  systemd: boolean;
  unitFile: string;
  script: string;
  unitEnabled: boolean;
}

export const RUN_DIR = '/run/uxsv/ip-aliases';
export const ETC_DIR = '/etc/uxsv/ip-aliases';
export const UNIT_NAME = 'uxsv-ip-aliases.service';
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;
export const SCRIPT_PATH = '/usr/local/sbin/uxsv-ip-aliases';

export const BOOT_SCRIPT = `#!/bin/sh
# Written by uxsv (uxsv.ip_alias): re-adds the IP aliases recorded in
# ${ETC_DIR}/<interface>, one "address/prefix [label]" per line.
for f in ${ETC_DIR}/*; do
  [ -f "$f" ] || continue
  iface=\${f##*/}
  mkdir -p ${RUN_DIR} && cp -- "$f" ${RUN_DIR}/"$iface"
  while read -r addr label; do
    case "$addr" in ''|'#'*) continue ;; esac
    # Duplicate address detection: after a takeover another host carries the
    # address; claiming it again would split the network's view (split brain).
    if command -v arping >/dev/null 2>&1 && ! arping -q -D -c 2 -w 3 -I "$iface" "\${addr%/*}"; then
      echo "uxsv-ip-aliases: \${addr} is in use by another host; not claiming it" >&2
      continue
    fi
    if [ -n "$label" ]; then ip addr replace "$addr" dev "$iface" label "$label"
    else ip addr replace "$addr" dev "$iface"; fi
  done < "$f"
done
exit 0
`;

export const UNIT_FILE = `# Written by uxsv (uxsv.ip_alias).
[Unit]
Description=uxsv: restore persistent IP aliases
After=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${SCRIPT_PATH}

[Install]
WantedBy=multi-user.target
`;

const IFACE = /^[A-Za-z0-9_.@-]{1,15}$/;

/** "198.51.100.21/24"; a bare address is a /32, as `ip addr add` takes it. */
export function normalizeAddress(address: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(address.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = m[5] === undefined ? 32 : Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return `${octets.join('.')}/${prefix}`;
}

/** `2: host0    inet 198.51.100.21/24 brd … scope global secondary host0:1\       valid_lft …` */
export function parseIpAddrShow(out: string): InterfaceAddress[] {
  return lines(out).flatMap((line) => {
    const words = line.split('\\')[0]!.trim().split(/\s+/);
    const at = words.indexOf('inet');
    if (at < 0 || !words[at + 1]) return [];
    return [{ address: words[at + 1]!, label: words[words.length - 1]! }];
  });
}

export function parseRecord(text: string): AliasSpec[] {
  return lines(text).flatMap((line) => {
    const [address, label] = line.trim().split(/\s+/);
    if (!address || address.startsWith('#')) return [];
    const normalized = normalizeAddress(address);
    return normalized ? [{ address: normalized, ...(label ? { label } : {}) }] : [];
  });
}

export function renderRecord(specs: AliasSpec[]): string {
  return specs.map((s) => (s.label ? `${s.address} ${s.label}\n` : `${s.address}\n`)).join('');
}

export function wantedAliases(args: IpAliasArgs): AliasSpec[] | string {
  const out: AliasSpec[] = [];
  for (const entry of args.addresses ?? []) {
    const spec = typeof entry === 'string' ? { address: entry } : entry;
    const address = normalizeAddress(String(spec.address ?? ''));
    if (!address) return `invalid address: ${JSON.stringify(spec.address)}`;
    out.push(spec.label ? { address, label: String(spec.label) } : { address });
  }
  return out;
}

function readScript(iface: string | undefined): string {
  const detect = `ip -o -4 route show default | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1`;
  const prefix = iface !== undefined ? `iface=${quote(iface)}` : `iface=$(${detect})`;
  return [
    prefix,
    'if [ -z "$iface" ]; then echo "no interface given and no default route to find one" >&2; exit 2; fi',
    sectionScript({
      iface: 'printf "%s\\n" "$iface"',
      addrs: 'ip -o -4 addr show dev "$iface"',
      run: `cat -- ${RUN_DIR}/"$iface" 2>/dev/null; true`,
      etc: `if [ -f ${ETC_DIR}/"$iface" ]; then echo yes; cat -- ${ETC_DIR}/"$iface"; fi`,
      systemd: 'if [ -d /run/systemd/system ]; then echo yes; fi',
      unit: `cat -- ${UNIT_PATH} 2>/dev/null; true`,
      script: `cat -- ${SCRIPT_PATH} 2>/dev/null; true`,
      enabled: `[ -d /run/systemd/system ] && systemctl is-enabled ${UNIT_NAME} 2>/dev/null; true`,
    }),
  ].join('\n');
}

async function readIpAlias(ctx: ModuleContext, args: IpAliasArgs): Promise<IpAliasState> {
  if (args.interface !== undefined && !IFACE.test(args.interface)) throw new Error(`invalid interface name: ${args.interface}`);
  const res = await runText(ctx, readScript(args.interface));
  const s = parseSections(res.stdout);
  if (res.rc !== 0 || !s.iface || !s.addrs) throw new Error(`cannot read the interface: ${res.stderr.trim() || `rc ${res.rc}`}`);
  if (s.addrs.rc !== 0) throw new Error(`interface ${s.iface.out.trim()} not found`);
  const etc = s.etc!.out;
  return {
    iface: s.iface.out.trim(),
    current: parseIpAddrShow(s.addrs.out),
    runRecord: parseRecord(s.run!.out),
    etcRecord: etc.startsWith('yes\n') ? parseRecord(etc.slice(4)) : [],
    etcExists: etc.startsWith('yes\n'),
    systemd: s.systemd!.out.trim() === 'yes',
    unitFile: s.unit!.out,
    script: s.script!.out,
    unitEnabled: s.enabled!.out.trim() === 'enabled',
  };
}

export interface AliasChanges {
  primary?: string;
  add: AliasSpec[];
  remove: InterfaceAddress[];
  /** The managed set after the change. */
  final: AliasSpec[];
  error?: string;
}

/** What to add and remove (pure). */
export function aliasChanges(args: IpAliasArgs, state: IpAliasState): AliasChanges {
  const wanted = wantedAliases(args);
  if (typeof wanted === 'string') return { add: [], remove: [], final: [], error: wanted };
  for (const spec of wanted) {
    if (spec.label !== undefined && (!spec.label.startsWith(state.iface) || spec.label.length > 15)) {
      return { add: [], remove: [], final: [], error: `label ${spec.label} must start with the interface name ${state.iface} and be at most 15 characters` };
    }
  }
  const present = (args.state ?? 'present') === 'present';
  const recorded = [...state.runRecord, ...state.etcRecord];
  const managedAddresses = new Set(recorded.map((r) => r.address));
  const primary = state.current.find((a) => !managedAddresses.has(a.address))?.address;
  const desired = present ? wanted.filter((w) => w.address !== primary) : [];
  const ourLabels = new Set([...recorded, ...wanted].map((r) => r.label).filter((l): l is string => l !== undefined && l !== state.iface));
  const labelOf = (spec: AliasSpec) => spec.label ?? state.iface;

  const remove: InterfaceAddress[] = [];
  const add: AliasSpec[] = [];
  for (const cur of state.current) {
    if (cur.address === primary) continue;
    const ours = managedAddresses.has(cur.address) || ourLabels.has(cur.label);
    if (!ours) continue;
    const want = desired.find((d) => d.address === cur.address);
    // An address of ours not wanted, or wanted under another label (re-added below).
    if (!want || labelOf(want) !== cur.label) remove.push(cur);
  }
  for (const want of desired) {
    const cur = state.current.find((c) => c.address === want.address);
    if (!cur || remove.some((r) => r.address === cur.address)) add.push(want);
  }
  return { primary, add, remove, final: desired };
}

function sameRecord(a: AliasSpec[], b: AliasSpec[]): boolean {
  return renderRecord(a) === renderRecord(b);
}

function planIpAlias(ctx: ModuleContext, args: IpAliasArgs, state: IpAliasState): Plan {
  const changes = aliasChanges(args, state);
  if (changes.error) return { changed: false, failed: true, msg: changes.error };
  const persist = toBool(args.persist, false);
  const garp = toBool(args.garp, true);
  const runRecordChanged = !sameRecord(state.runRecord, changes.final);
  // Without persist, an old boot record would bring addresses back: it goes.
  const etcChanged = persist ? !state.etcExists || !sameRecord(state.etcRecord, changes.final) : state.etcExists;
  const unitWork = persist && state.systemd && (state.unitFile !== UNIT_FILE || state.script !== BOOT_SCRIPT || !state.unitEnabled);
  const addressesChanged = changes.add.length + changes.remove.length > 0;
  const changed = addressesChanged || etcChanged || unitWork;
  const result: Record<string, unknown> = {
    interface: state.iface,
    primary: changes.primary ?? null,
    added: changes.add.map((a) => a.address),
    removed: changes.remove.map((r) => r.address),
    addresses: changes.final.map((f) => f.address),
  };
  const before = state.current.filter((c) => c.address !== changes.primary).map((c) => `${c.address} ${c.label}\n`).join('');
  const afterList = [
    ...state.current.filter((c) => c.address !== changes.primary && !changes.remove.some((r) => r.address === c.address)).map((c) => `${c.address} ${c.label}`),
    ...changes.add.map((a) => `${a.address} ${a.label ?? state.iface}`),
  ];
  const diff = ctx.diff && addressesChanged
    ? [{ before_header: `${state.iface} aliases`, after_header: `${state.iface} aliases`, before, after: afterList.map((l) => `${l}\n`).join('') }]
    : undefined;
  if (ctx.check || (!changed && !runRecordChanged)) return { changed, result, diff };
  return {
    changed,
    result,
    diff,
    apply: async () => {
      const dev = quote(state.iface);
      const extra: Record<string, unknown> = {};
      const commands: string[] = [];
      for (const r of changes.remove) commands.push(`ip addr del ${quote(r.address)} dev ${dev}`);
      for (const a of changes.add) commands.push(`ip addr add ${quote(a.address)} dev ${dev}${a.label ? ` label ${quote(a.label)}` : ''}`);
      if (runRecordChanged) commands.push(`mkdir -p ${RUN_DIR} && printf %s ${quote(renderRecord(changes.final))} > ${RUN_DIR}/${dev}`);
      if (commands.length > 0) await runChecked(ctx, `set -e\n${commands.join('\n')}`, 'changing addresses');
      if (garp && changes.add.length > 0) extra.garp = await announce(ctx, state.iface, changes.add);
      if (persist) await persistAliases(ctx, state, changes.final, etcChanged);
      else if (state.etcExists) await runChecked(ctx, `rm -f -- ${ETC_DIR}/${dev}`, 'removing the boot record');
      return extra;
    },
  };
}

/**
 * Gratuitous ARP so neighbours learn the address's new home: three
 * announcements a second apart, sent in the background (detached, bounded by
 * timeout) so the task does not wait two seconds for them — during a switch
 * those seconds are downtime. Lists the addresses being announced.
 */
async function announce(ctx: ModuleContext, iface: string, added: AliasSpec[]): Promise<string[] | string> {
  const ips = added.map((a) => a.address.split('/')[0]!);
  const script = [
    'command -v arping >/dev/null 2>&1 || { echo missing; exit 0; }',
    ...ips.map((ip) => `setsid timeout 5 arping -q -U -c 3 -I ${quote(iface)} ${quote(ip)} </dev/null >/dev/null 2>&1 & echo ${quote(ip)}`),
  ].join('\n');
  const res = await runText(ctx, script);
  if (res.stdout.trim() === 'missing') return 'skipped: arping is not installed (iputils-arping)';
  return lines(res.stdout);
}

async function persistAliases(ctx: ModuleContext, state: IpAliasState, final: AliasSpec[], etcChanged: boolean): Promise<void> {
  if (etcChanged) await writeFileAtomic(ctx, `${ETC_DIR}/${state.iface}`, renderRecord(final), { mode: '0644', createParents: true });
  if (!state.systemd) return;
  if (state.script !== BOOT_SCRIPT) await writeFileAtomic(ctx, SCRIPT_PATH, BOOT_SCRIPT, { mode: '0755', createParents: true });
  if (state.unitFile !== UNIT_FILE) {
    await writeFileAtomic(ctx, UNIT_PATH, UNIT_FILE, { mode: '0644' });
    await runChecked(ctx, 'systemctl daemon-reload', 'systemctl daemon-reload');
  }
  if (!state.unitEnabled) await runChecked(ctx, `systemctl enable ${UNIT_NAME}`, `systemctl enable ${UNIT_NAME}`);
}

export const ipAlias: Module<IpAliasArgs, IpAliasState> = {
  name: 'uxsv.ip_alias',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      interface: { type: 'string' },
      addresses: {
        type: 'array',
        items: {
          anyOf: [
            { type: 'string' },
            { type: 'object', additionalProperties: false, required: ['address'], properties: { address: { type: 'string' }, label: { type: 'string' } } },
          ],
        },
      },
      state: { enum: ['present', 'absent'] },
      garp: boolSchema,
      persist: boolSchema,
    },
  },
  doc: {
    description:
      'uxsv\'s own module for takeover addresses. `addresses` is the full set of alias addresses (`{address: ' +
      '198.51.100.21/24, label: host0:1}` or a plain string) this module manages on `interface` (default: the interface ' +
      'of the default route). state=present adds what is missing (`ip addr add`) and removes managed addresses no longer ' +
      'in the set; state=absent removes all managed addresses. Managed = recorded by the module (/run/uxsv/ip-aliases/IFACE, ' +
      'and /etc/uxsv/ip-aliases/IFACE when persisted) or carrying one of the set\'s labels; the primary address (the first ' +
      'one the module did not add) is never removed. garp (default true) sends 3 gratuitous ARPs per added address, a second apart and in the background, with ' +
      'iputils arping when installed. persist (default false) keeps the set in /etc/uxsv/ip-aliases/IFACE and installs and ' +
      'enables uxsv-ip-aliases.service, which re-adds it at boot; persist=false removes that record.',
    returns: {
      added: 'addresses added',
      removed: 'addresses removed',
      addresses: 'the managed set now',
      primary: 'the primary address (never touched)',
      interface: 'the interface',
      garp: 'addresses announced, or why not',
    },
    example:
      '- name: Carry www\'s address\n  uxsv.ip_alias:\n    interface: host0\n    addresses:\n      - address: 198.51.100.21/24\n        label: "host0:1"\n',
  },
  read: readIpAlias,
  plan: planIpAlias,
};

export default ipAlias;
