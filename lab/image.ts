// The lab image: one debootstrap'ed Debian tree, cached outside the repository
// under a key made of its package lists, so changing a list builds a new one.
// The service packages are only downloaded into its apt cache: the hosts have
// no network, and provisioning installs them from there.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile, unlink, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGE_CACHE_DIR, LAB_VERSION, DOMAIN } from './config.js';
import { DEBIAN_MIRROR, DEBIAN_SUITE, IMAGE_PACKAGES, SERVICE_PACKAGES } from './packages.js';
import { isAlive, run } from './run.js';

const COMPLETE_MARKER = 'complete';

/** apt settings of the image: keep downloaded .debs (`apt` deletes them by default), retry downloads. */
const APT_CONF = `// uxsv lab: the apt cache holds the service packages for offline installs; never clean it.
APT::Keep-Downloaded-Packages "true";
Binary::apt::APT::Keep-Downloaded-Packages "true";
Acquire::Retries "3";
APT::Install-Recommends "false";
`;

/** Postfix asks on install; answer so provisioning runs unattended. */
const DEBCONF_SELECTIONS = `postfix postfix/main_mailer_type select Internet Site
postfix postfix/mailname string ${DOMAIN}
`;

export function imageKey(): string {
  const recipe = JSON.stringify({
    labVersion: LAB_VERSION,
    suite: DEBIAN_SUITE,
    mirror: DEBIAN_MIRROR,
    image: IMAGE_PACKAGES,
    service: SERVICE_PACKAGES,
    aptConf: APT_CONF,
    debconf: DEBCONF_SELECTIONS,
  });
  return createHash('sha256').update(recipe).digest('hex').slice(0, 16);
}

export function imageDir(key = imageKey()): string {
  return join(IMAGE_CACHE_DIR, key);
}

export function imageRootfs(key = imageKey()): string {
  return join(imageDir(key), 'rootfs');
}

export function isImageBuilt(key = imageKey()): boolean {
  return existsSync(join(imageDir(key), COMPLETE_MARKER));
}

/** Returns the image's rootfs, building it first if it is not in the cache. */
export async function ensureImage(log: (line: string) => void = () => {}): Promise<string> {
  const key = imageKey();
  if (isImageBuilt(key)) return imageRootfs(key);
  await removeAbandonedBuilds();
  const started = Date.now();
  log(`building the lab image ${key} (debootstrap ${DEBIAN_SUITE}); this takes a few minutes once`);
  // Build beside the final place and rename at the end: a killed build never
  // leaves something that looks like an image.
  const buildDir = `${imageDir(key)}.build-${process.pid}`;
  await rm(buildDir, { recursive: true, force: true });
  await mkdir(buildDir, { recursive: true });
  const rootfs = join(buildDir, 'rootfs');
  try {
    await debootstrap(rootfs);
    log(`debootstrap done after ${secondsSince(started)} s; downloading the service packages`);
    await configureApt(rootfs);
    await downloadServicePackages(rootfs);
    await scrubHostIdentity(rootfs);
    await writeFile(join(buildDir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    await rm(imageDir(key), { recursive: true, force: true });
    await rename(buildDir, imageDir(key));
  } catch (error) {
    await rm(buildDir, { recursive: true, force: true });
    throw error;
  }
  log(`lab image ${key} built in ${secondsSince(started)} s`);
  return imageRootfs(key);
}

async function debootstrap(rootfs: string): Promise<void> {
  await run(
    [
      'debootstrap',
      '--variant=minbase',
      `--include=${IMAGE_PACKAGES.join(',')}`,
      DEBIAN_SUITE,
      rootfs,
      DEBIAN_MIRROR,
    ],
    { timeoutMs: 15 * 60_000 },
  );
}

async function configureApt(rootfs: string): Promise<void> {
  await writeFile(join(rootfs, 'etc/apt/apt.conf.d/90uxsv-lab'), APT_CONF);
  await writeFile(join(rootfs, 'etc/apt/sources.list'), `deb ${DEBIAN_MIRROR} ${DEBIAN_SUITE} main\n`);
  await run(['chroot', rootfs, 'debconf-set-selections'], { input: DEBCONF_SELECTIONS });
}

async function downloadServicePackages(rootfs: string): Promise<void> {
  // The build runs in this machine's network namespace, which reaches the mirror;
  // the resolver file is only borrowed for the build.
  const resolvConf = join(rootfs, 'etc/resolv.conf');
  await rm(resolvConf, { force: true });
  await copyFile('/etc/resolv.conf', resolvConf);
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
    await run(['chroot', rootfs, 'apt-get', 'update'], { env, timeoutMs: 10 * 60_000 });
    await run(['chroot', rootfs, 'apt-get', 'install', '--download-only', '-y', ...SERVICE_PACKAGES], {
      env,
      timeoutMs: 10 * 60_000,
    });
  } finally {
    await writeFile(resolvConf, '# uxsv lab: the hosts have no resolver until the dns role sets one\n');
  }
}

/** Each host gets its own machine-id and SSH host keys when it is created; the image has none. */
async function scrubHostIdentity(rootfs: string): Promise<void> {
  await writeFile(join(rootfs, 'etc/machine-id'), '');
  await rm(join(rootfs, 'var/lib/dbus/machine-id'), { force: true });
  const sshDir = join(rootfs, 'etc/ssh');
  for (const name of await readdir(sshDir)) {
    if (name.startsWith('ssh_host_')) await unlink(join(sshDir, name));
  }
}

/** Removes build folders left by a build that was killed (its pid is gone). */
async function removeAbandonedBuilds(): Promise<void> {
  if (!existsSync(IMAGE_CACHE_DIR)) return;
  for (const name of await readdir(IMAGE_CACHE_DIR)) {
    const match = /\.build-(\d+)$/.exec(name);
    if (match && !isAlive(Number(match[1]))) {
      await rm(join(IMAGE_CACHE_DIR, name), { recursive: true, force: true });
    }
  }
}

function secondsSince(start: number): number {
  return Math.round((Date.now() - start) / 1000);
}
