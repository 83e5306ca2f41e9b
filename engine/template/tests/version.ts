/**
 * The `version` test (and `version_compare`): every operator, and the
 * version types loose (distutils' LooseVersion, the default), strict
 * (StrictVersion), semver / semantic (Semantic Versioning 2.0.0) and pep440
 * (the `packaging` library's Version), with Ansible's messages.
 */
import { eq, pyStr, truthy } from '../python.js';
import { parsePyInt } from '../filters/core.js';
import { FilterError, bindArgs, pyLess, type TestFn } from '../filters/support.js';

type Comparable = { compare(other: Comparable): number };

/** Compare two lists as Python compares lists (== first, then <), refusing what Python refuses. */
function compareLists(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (eq(a[i], b[i])) continue;
    return pyLess(a[i], b[i]) ? -1 : 1;
  }
  return a.length - b.length === 0 ? 0 : a.length < b.length ? -1 : 1;
}

class LooseVersion implements Comparable {
  readonly parts: Array<number | string>;

  constructor(text: string) {
    this.parts = text
      .split(/(\d+|[a-z]+|\.)/)
      .filter((x) => x !== '' && x !== '.')
      .map((x) => parsePyInt(x, 10) ?? x);
  }

  compare(other: Comparable): number {
    return compareLists(this.parts, (other as LooseVersion).parts);
  }
}

class StrictVersion implements Comparable {
  readonly release: number[];
  readonly prerelease?: [string, number];

  constructor(text: string) {
    const m = /^(\d+)\.(\d+)(\.(\d+))?([ab](\d+))?$/.exec(text);
    if (!m) throw new RangeError(`invalid version number '${text}'`);
    this.release = [Number(m[1]), Number(m[2]), Number(m[4] ?? 0)];
    if (m[5]) this.prerelease = [m[5][0]!, Number(m[6])];
  }

  compare(other: Comparable): number {
    const o = other as StrictVersion;
    const c = compareLists(this.release, o.release);
    if (c !== 0) return c;
    if (!this.prerelease && !o.prerelease) return 0;
    if (!o.prerelease) return -1;
    if (!this.prerelease) return 1;
    return compareLists(this.prerelease, o.prerelease);
  }
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

class SemanticVersion implements Comparable {
  readonly core: number[];
  readonly prerelease: Array<number | string>;

  constructor(text: string) {
    const m = SEMVER.exec(text);
    if (!m) throw new RangeError(`invalid semantic version '${text}'`);
    this.core = [Number(m[1]), Number(m[2]), Number(m[3])];
    this.prerelease = m[4] ? m[4].split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x)) : [];
  }

  compare(other: Comparable): number {
    const o = other as SemanticVersion;
    const c = compareLists(this.core, o.core);
    if (c !== 0) return c;
    if (this.prerelease.length === 0 && o.prerelease.length === 0) return 0;
    if (o.prerelease.length === 0) return -1;
    if (this.prerelease.length === 0) return 1;
    // Numeric identifiers sort before alphanumeric ones.
    const key = (x: number | string) => (typeof x === 'number' ? [0, x] : [1, x]);
    return compareLists(this.prerelease.map(key), o.prerelease.map(key));
  }
}

const PEP440 = new RegExp(
  '^\\s*v?(?:(?:(\\d+)!)?(\\d+(?:\\.\\d+)*)' +
    '([-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\\d+)?)?' +
    '((?:-(\\d+))|(?:[-_.]?(post|rev|r)[-_.]?(\\d+)?))?' +
    '([-_.]?(dev)[-_.]?(\\d+)?)?)' +
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$',
  'i',
);

type Key = Array<number | string | Key>;

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    const c = Array.isArray(x) ? compareKeys(x, y as Key) : x < (y as number | string) ? -1 : x > (y as number | string) ? 1 : 0;
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** packaging.version.Version: the comparison key of PEP 440. */
class Pep440Version implements Comparable {
  readonly key: Key;

  constructor(text: string) {
    const m = PEP440.exec(text);
    if (!m) throw new RangeError(`Invalid version: '${text}'`);
    const epoch = Number(m[1] ?? 0);
    const release = m[2]!.split('.').map(Number);
    while (release.length > 1 && release[release.length - 1] === 0) release.pop();
    const preRank: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, pre: 2, preview: 2, rc: 2 };
    const pre = m[4] === undefined ? undefined : [preRank[m[4].toLowerCase()]!, Number(m[5] ?? 0)];
    const post = m[6] === undefined ? undefined : Number(m[7] ?? m[9] ?? 0);
    const dev = m[10] === undefined ? undefined : Number(m[12] ?? 0);
    const local = m[13]?.toLowerCase().split(/[-_.]/).map((p): Key => (/^\d+$/.test(p) ? [1, Number(p)] : [0, p]));
    const preKey: Key = pre === undefined ? (post === undefined && dev !== undefined ? [-1] : [1]) : [0, ...pre];
    this.key = [
      epoch,
      release,
      preKey,
      post === undefined ? [-1] : [0, post],
      dev === undefined ? [1] : [0, dev],
      local === undefined ? [-1] : [0, local],
    ];
  }

  compare(other: Comparable): number {
    return compareKeys(this.key, (other as Pep440Version).key);
  }
}

const VERSION_TYPES: Record<string, new (text: string) => Comparable> = {
  loose: LooseVersion,
  strict: StrictVersion,
  semver: SemanticVersion,
  semantic: SemanticVersion,
  pep440: Pep440Version,
};

const OPERATORS: Record<string, 'eq' | 'lt' | 'le' | 'gt' | 'ge' | 'ne'> = {
  '==': 'eq', '=': 'eq', eq: 'eq',
  '<': 'lt', lt: 'lt',
  '<=': 'le', le: 'le',
  '>': 'gt', gt: 'gt',
  '>=': 'ge', ge: 'ge',
  '!=': 'ne', '<>': 'ne', ne: 'ne',
};

export const version: TestFn = (value, ...args) => {
  const [other, operator = 'eq', strictFlag = null, versionType = null] = bindArgs('version', args, ['version', 'operator', 'strict', 'version_type']);
  if (strictFlag !== null && versionType !== null) throw new FilterError("Cannot specify both 'strict' and 'version_type'");
  if (!truthy(value)) throw new FilterError('Input version value cannot be empty');
  if (!truthy(other)) throw new FilterError('Version parameter to compare against cannot be empty');
  let Version = LooseVersion as new (text: string) => Comparable;
  if (truthy(strictFlag)) Version = StrictVersion;
  else if (truthy(versionType)) {
    const chosen = VERSION_TYPES[pyStr(versionType)];
    if (!chosen) {
      throw new FilterError(`Invalid version type (${pyStr(versionType)}). Must be one of ${Object.keys(VERSION_TYPES).map((k) => `'${k}'`).join(', ')}`);
    }
    Version = chosen;
  }
  const op = OPERATORS[pyStr(operator)];
  if (!op) throw new FilterError(`Invalid operator type (${pyStr(operator)}). Must be one of ${Object.keys(OPERATORS).map((k) => `'${k}'`).join(', ')}`);
  let c: number;
  try {
    c = new Version(pyStr(value)).compare(new Version(pyStr(other)));
  } catch (err) {
    throw new FilterError(`Version comparison failed: ${(err as Error).message}`);
  }
  switch (op) {
    case 'eq': return c === 0;
    case 'ne': return c !== 0;
    case 'lt': return c < 0;
    case 'le': return c <= 0;
    case 'gt': return c > 0;
    case 'ge': return c >= 0;
  }
};
