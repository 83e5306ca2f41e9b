import type { Module } from '../types.js';
import { command, raw, shell } from './command.js';
import { assertModule, debug, failModule, ping, setFact, setup } from './control.js';
import { includeVars } from './include-vars.js';
import { validateArgumentSpec } from './validate-argument-spec.js';
import { addHost, asyncStatus, groupBy, pause, setStats, waitForConnection } from './run-actions.js';

/** The core modules; the registry (../registry.ts) collects every group. */
export const coreModules: Module<any, any>[] = [command, shell, raw, ping, debug, setFact, assertModule, failModule, setup, includeVars, addHost, groupBy, setStats, asyncStatus, pause, waitForConnection, validateArgumentSpec];
