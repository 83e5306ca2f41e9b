import type { Module } from '../types.js';
import { apt } from './apt.js';
import { authorizedKey } from './authorized-key.js';
import { cron } from './cron.js';
import { debconf } from './debconf.js';
import { hostname } from './hostname.js';
import { knownHosts } from './known-hosts.js';
import { packageModule } from './package.js';
import { service, systemd } from './service.js';
import { sysctl } from './sysctl.js';
import { group, user } from './users.js';
import { waitFor } from './wait-for.js';

/** The system modules; the registry (../registry.ts) collects every group. */
export const systemModules: Module<any, any>[] = [
  apt,
  packageModule,
  service,
  systemd,
  debconf,
  user,
  group,
  cron,
  sysctl,
  hostname,
  authorizedKey,
  knownHosts,
  waitFor,
];
