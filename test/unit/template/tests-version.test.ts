// The version test. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string) => t.evaluate(expr, {}, 'test');

describe('version', () => {
  it('every operator, with loose versions by default', () => {
    for (const op of ['==', '=', 'eq', '<=', 'le', '>=', 'ge']) expect(ev(`'1.0' is version('1.0', '${op}')`), op).toBe(true);
    for (const op of ['!=', '<>', 'ne', '<', 'lt']) expect(ev(`'1.0' is version('2.0', '${op}')`), op).toBe(true);
    for (const op of ['>', 'gt']) expect(ev(`'2.0' is version('1.0', '${op}')`), op).toBe(true);
    expect(ev("'1.0' is version_compare('1.0', '==')")).toBe(true);
    expect(ev("'1.10' is version('1.9', '>')")).toBe(true);
    expect(ev("'1.0-rc1' is version('1.0', '<')")).toBe(false);
    expect(ev("'1.0-RC1' is version('1.0', '>')")).toBe(true);
    expect(() => ev("'1.0a' is version('1.0.1', 'lt')")).toThrow("Version comparison failed: '<' not supported between instances of 'str' and 'int'");
  });
  it('strict versions', () => {
    expect(ev("'1.0' is version('1.0', '==', true)")).toBe(true);
    expect(ev("'1.0' is version('1.0a1', '>', strict=true)")).toBe(true);
    expect(ev("'1.0b1' is version('1.0a2', '>', strict=true)")).toBe(true);
    expect(() => ev("'1.0' is version('nope', '==', true)")).toThrow("Version comparison failed: invalid version number 'nope'");
  });
  it('semantic versions', () => {
    expect(ev("'1.2.3' is version('2.0.0', 'lt', version_type='semver')")).toBe(true);
    expect(ev("'1.2.3' is version('1.2.3-beta', '>', version_type='semver')")).toBe(true);
    expect(ev("'1.2.3-alpha.1' is version('1.2.3-alpha.beta', '<', version_type='semver')")).toBe(true);
    expect(ev("'1.2.3-alpha.10' is version('1.2.3-alpha.9', '>', version_type='semver')")).toBe(true);
    expect(ev("'1.2.3+build' is version('1.2.3', '==', version_type='semantic')")).toBe(true);
    expect(() => ev("'1.2' is version('1.2.0', '==', version_type='semver')")).toThrow("Version comparison failed: invalid semantic version '1.2'");
  });
  it('PEP 440 versions', () => {
    expect(ev("'2.14.0rc1' is version('2.14.0', 'lt', version_type='pep440')")).toBe(true);
    expect(ev("'1.0.post1' is version('1.0', '>', version_type='pep440')")).toBe(true);
    expect(ev("'1.0.dev1' is version('1.0a1', '<', version_type='pep440')")).toBe(true);
    expect(ev("'1.0+local.1' is version('1.0', '>', version_type='pep440')")).toBe(true);
    expect(ev("'1!0.1' is version('2.0', '>', version_type='pep440')")).toBe(true);
    expect(ev("'1.0' is version('1.0.0', '==', version_type='pep440')")).toBe(true);
    expect(() => ev("'junk' is version('1.0', '==', version_type='pep440')")).toThrow("Version comparison failed: Invalid version: 'junk'");
  });
  it("refuses bad arguments with Ansible's messages", () => {
    expect(() => ev("'1.0' is version('1.0', 'equals')")).toThrow(
      "Invalid operator type (equals). Must be one of '==', '=', 'eq', '<', 'lt', '<=', 'le', '>', 'gt', '>=', 'ge', '!=', '<>', 'ne'",
    );
    expect(() => ev("'1.0' is version('1.0', version_type='boom')")).toThrow(
      "Invalid version type (boom). Must be one of 'loose', 'strict', 'semver', 'semantic', 'pep440'",
    );
    expect(() => ev("'1.0' is version('1.0', strict=False, version_type='loose')")).toThrow("Cannot specify both 'strict' and 'version_type'");
    expect(() => ev("'' is version('1.0', '>')")).toThrow('Input version value cannot be empty');
    expect(() => ev("'1.0' is version('', '>')")).toThrow('Version parameter to compare against cannot be empty');
  });
});
