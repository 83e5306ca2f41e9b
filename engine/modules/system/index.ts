import type { Module } from '../types.js';
import { apt } from './apt.js';
import { aptKey } from './apt-key.js';
import { aptRepository } from './apt-repository.js';
import { authorizedKey } from './authorized-key.js';
import { cron } from './cron.js';
import { debconf } from './debconf.js';
import { expect } from './expect.js';
import { alternatives, localeGen, modprobe, timezone } from './general-small.js';
import { git } from './git.js';
import { group } from './group.js';
import { hostname } from './hostname.js';
import { dpkgSelections, getent, packageFacts, serviceFacts } from './inventory-facts.js';
import { iptables } from './iptables.js';
import { knownHosts } from './known-hosts.js';
import { mount } from './mount.js';
import { packageModule } from './package.js';
import { pamd } from './pamd.js';
import { rebootModule } from './reboot.js';
import { script } from './script.js';
import { service, systemd } from './service.js';
import { sysctl } from './sysctl.js';
import { ufw } from './ufw.js';
import { user } from './user.js';
import { waitForModule } from './wait-for.js';

/** The system modules; the registry (../registry.ts) collects every group. */
export const systemModules: Module<any, any>[] = [
  apt,
  aptKey,
  aptRepository,
  packageModule,
  packageFacts,
  dpkgSelections,
  debconf,
  service,
  systemd,
  serviceFacts,
  rebootModule,
  user,
  group,
  getent,
  cron,
  sysctl,
  hostname,
  authorizedKey,
  knownHosts,
  waitForModule,
  script,
  expect,
  git,
  iptables,
  mount,
  timezone,
  ufw,
  pamd,
  localeGen,
  alternatives,
  modprobe,
];
