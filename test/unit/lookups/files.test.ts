import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findLookup } from '../../../engine/lookups/index.js';
import { searchCandidates } from '../../../engine/lookups/search.js';
import { encrypt, VaultSecrets } from '../../../engine/vault/index.js';
import { contextFor, errorOf, evaluator, fixture, recordingHost, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

// Expected values: Ansible 2.14 on the same layout (ansible-playbook, debug msg).
describe('file', () => {
  const root = fixture({ 'files/a.txt': '  hello world  \n\n', 'files/sub/b.txt': 'b\n', 'b.txt': 'top\n', 'files/u.txt': 'ü\u00a0\n' });
  const { evaluate } = evaluator(root);

  it('reads files from the search path, stripping trailing whitespace by default', () => {
    expect(evaluate("lookup('file', 'a.txt')")).toBe('  hello world');
    expect(evaluate("lookup('file', 'a.txt', rstrip=False)")).toBe('  hello world  \n\n');
    expect(evaluate("lookup('file', 'a.txt', lstrip=True)")).toBe('hello world');
    expect(evaluate("lookup('file', 'a.txt', 'sub/b.txt', 'b.txt')")).toBe('  hello world,b,top');
    expect(evaluate(`lookup('file', '${root}/files/sub/b.txt')`)).toBe('b');
    // Python's strip() also removes a no-break space.
    expect(evaluate("lookup('file', 'u.txt')")).toBe('ü');
  });

  it('takes booleans the way Ansible does (anything unknown is false)', () => {
    expect(evaluate("lookup('file', 'a.txt', rstrip='maybe')")).toBe('  hello world  \n\n');
    expect(evaluate("lookup('file', 'a.txt', lstrip='yes')")).toBe('hello world');
  });

  it('names the missing file, and a folder is not a file', () => {
    expect(errorOf(() => evaluate("lookup('file', 'nope.txt')")).message).toContain('could not locate file in lookup: nope.txt');
    expect(errorOf(() => evaluate("lookup('file', 'sub')")).message).toContain('could not locate file in lookup: sub');
  });

  it('decrypts a vault-encrypted file', () => {
    const dir = fixture({ 'files/secret.txt': encrypt('s3cret\n', 'pw') });
    const host = recordingHost({ decryptVault: (text, source) => new VaultSecrets(['pw']).decrypt(text, source).toString('utf8') });
    expect(evaluator(dir, host).evaluate("lookup('file', 'secret.txt')")).toBe('s3cret');
  });
});

describe('the search path', () => {
  // Ansible's path_lookups target: a role task looks in the role's files/, the role, its tasks/
  // (files/ and itself), then the playbook's files/ and the playbook's folder.
  const layout = {
    'roles/showfile/tasks/main.yml': '- debug: msg=x\n',
    'roles/showfile/files/testfile': 'in role files',
    'roles/showfile/testfile': 'in role',
    'roles/showfile/tasks/testfile': 'in role tasks',
    'files/testfile': 'in files',
    testfile: 'in local',
  };

  it('finds the most specific file first, for a role task and a play task', () => {
    const root = fixture(layout);
    const role = path.join(root, 'roles/showfile');
    const roleTask = { ansible_search_path: [role, path.join(role, 'tasks'), root], role_path: role };
    const seen: string[][] = [];
    for (const remove of ['', 'roles/showfile/files/testfile', 'roles/showfile/testfile', 'roles/showfile/tasks/testfile', 'files/testfile']) {
      if (remove) rmSync(path.join(root, remove));
      const { evaluate } = evaluator(root);
      seen.push([evaluate("lookup('file', 'testfile')", roleTask) as string, evaluate("lookup('file', 'testfile')") as string]);
    }
    expect(seen).toEqual([
      ['in role files', 'in files'],
      ['in role', 'in files'],
      ['in role tasks', 'in files'],
      ['in files', 'in files'],
      ['in local', 'in local'],
    ]);
  });

  it('lists the candidates in order, the playbook folder last', () => {
    const ctx = { searchPath: ['/r/roles/x', '/r/roles/x/tasks'], basedir: '/r' };
    expect(searchCandidates(ctx, 'files', 'f.txt')).toEqual([
      '/r/roles/x/files/f.txt', '/r/roles/x/f.txt', '/r/roles/x/tasks/files/f.txt', '/r/roles/x/tasks/f.txt', '/r/files/f.txt', '/r/f.txt',
    ]);
  });

  it('without ansible_search_path: the role folder, else the playbook folder', () => {
    const root = fixture(layout);
    const templarVars = { ansible_search_path: undefined };
    const { evaluate } = evaluator(root);
    expect(evaluate("lookup('file', 'testfile')", templarVars)).toBe('in files');
    const inRole = { ...templarVars, role_path: path.join(root, 'roles/showfile') };
    expect(evaluate("lookup('file', 'testfile')", inRole)).toBe('in role files');
    // fileglob, which only looks in the search path itself, still sees the playbook folder.
    expect(evaluate("query('fileglob', 'testfil?')", inRole)).toEqual([path.join(root, 'roles/showfile/files/testfile')]);
    rmSync(path.join(root, 'roles/showfile/files/testfile'));
    rmSync(path.join(root, 'roles/showfile/testfile'));
    expect(evaluate("query('fileglob', 'testfil?')", inRole)).toEqual([path.join(root, 'files/testfile')]);
  });

  it('expands ~ and environment variables in absolute names (a relative name is taken as written)', () => {
    const root = fixture({ 'home/f.txt': 'from home' });
    const previous = process.env.HOME;
    process.env.HOME = path.join(root, 'home');
    process.env.UXSV_LOOKUP_SUB = 'home';
    try {
      const { evaluate } = evaluator(root);
      expect(evaluate("lookup('file', '~/f.txt')")).toBe('from home');
      expect(evaluate(`lookup('file', '${root}/$UXSV_LOOKUP_SUB/f.txt')`)).toBe('from home');
      expect(errorOf(() => evaluate("lookup('file', '$UXSV_LOOKUP_SUB/f.txt')")).message).toContain('could not locate file in lookup: $UXSV_LOOKUP_SUB/f.txt');
    } finally {
      process.env.HOME = previous;
      delete process.env.UXSV_LOOKUP_SUB;
    }
  });
});

describe('fileglob', () => {
  const root = fixture({
    'files/a.txt': 'a', 'files/x.txt': 'x', 'files/.h.txt': 'h', 'files/sub/b.txt': 'b', 'files/dir.txt/inner': 'i', 'top.txt': 't', 'files/c.log': 'c',
  });
  const { evaluate } = evaluator(root);
  const sorted = (v: unknown) => [...(v as string[])].sort();

  it('matches files (not folders, not hidden ones) in the first search folder that has some', () => {
    expect(sorted(evaluate("query('fileglob', '*.txt')"))).toEqual([`${root}/files/a.txt`, `${root}/files/x.txt`]);
    expect(evaluate("query('fileglob', '.*.txt')")).toEqual([`${root}/files/.h.txt`]);
    expect(evaluate("query('fileglob', '*.log', 'top.*')")).toEqual([`${root}/files/c.log`, `${root}/top.txt`]);
    expect(evaluate("query('fileglob', '[ab].txt')")).toEqual([`${root}/files/a.txt`]);
    expect(evaluate("query('fileglob', '[!a].txt')")).toEqual([`${root}/files/x.txt`]);
  });

  it('finds a pattern with a folder through the search path', () => {
    expect(evaluate("query('fileglob', 'sub/*.txt')")).toEqual([`${root}/files/sub/b.txt`]);
    expect(sorted(evaluate("query('fileglob', 'files/?.txt')"))).toEqual([`${root}/files/a.txt`, `${root}/files/x.txt`]);
    expect(evaluate(`query('fileglob', '${root}/files/sub/*')`)).toEqual([`${root}/files/sub/b.txt`]);
  });

  it('gives an empty list for no match, warning about a missing folder', () => {
    const host = recordingHost();
    const { evaluate: ev } = evaluator(root, host);
    expect(ev("query('fileglob', 'nope/*.txt')")).toEqual([]);
    expect(ev("query('fileglob', '*.none')")).toEqual([]);
    expect(ev("lookup('fileglob', '*.none')")).toEqual([]);
    expect(host.warnings).toEqual(["Unable to find 'nope' in expected paths (use -vvvvv to see paths)"]);
  });
});

describe('first_found', () => {
  const root = fixture({
    'files/a.txt': 'a', 'files/sub/b.txt': 'b', 'b.txt': 'b top', 'templates/t.j2': 't', 'vars/main.yml': 'x: 1\n', 'vars/default.yml': 'x: 2\n',
  });
  const { evaluate } = evaluator(root);

  it('returns the path of the first name found', () => {
    expect(evaluate("lookup('first_found', 'nope.txt', 'a.txt')")).toBe(`${root}/files/a.txt`);
    expect(evaluate("lookup('first_found', ['nope', ['a.txt']])")).toBe(`${root}/files/a.txt`);
    expect(evaluate(`lookup('first_found', '/nonexistent', '${root}/b.txt')`)).toBe(`${root}/b.txt`);
  });

  it('takes files and paths, in lists or in strings split on , ; (and : for paths)', () => {
    expect(evaluate("lookup('first_found', {'files': 'b.txt;a.txt', 'paths': 'files/sub:files'})")).toBe(`${root}/files/sub/b.txt`);
    expect(errorOf(() => evaluate("lookup('first_found', {'files': ['x.txt', 'a.txt'], 'paths': ['/nonexistent', 'files/sub']})")).message).toContain('No file was found when using first_found.');
    // A term's own file list replaces the term (and what came before).
    expect(evaluate("lookup('first_found', 'x.txt', files=['nope', 'b.txt'])")).toBe(`${root}/b.txt`);
    expect(evaluate("lookup('first_found', params)", { params: { files: ['default.yml'], paths: ['vars'] } })).toBe(`${root}/vars/default.yml`);
  });

  it('skip=True gives an empty list; a term that is not a name, list or dict is an error', () => {
    expect(evaluate("query('first_found', 'nope', skip=True)")).toEqual([]);
    expect(evaluate("query('first_found', {'files': 'not_a_file.yaml', 'skip': True}, errors='ignore')")).toEqual([]);
    expect(errorOf(() => evaluate("lookup('first_found', 5)")).message).toContain("Invalid term supplied, can handle string, mapping or list of strings but got: <class 'int'> for 5");
  });

  it('looks in templates/ or vars/ when a loop of a template or include_vars task sets the folder', () => {
    const ctx = contextFor(root);
    const plugin = findLookup('first_found')!;
    expect(plugin.run(['t.j2'], {}, { ...ctx, subdir: 'templates' })).toEqual([`${root}/templates/t.j2`]);
    expect(plugin.run(['main.yml'], {}, { ...ctx, subdir: 'vars' })).toEqual([`${root}/vars/main.yml`]);
    expect(() => plugin.run(['t.j2'], {}, ctx)).toThrow('No file was found when using first_found.');
  });

  it('in a template, an undefined variable among the names is an error (only a with_first_found loop passes over it)', () => {
    expect(errorOf(() => evaluate("lookup('first_found', {'files': ['{{ nope }}.txt', 'a.txt']})")).message).toContain("'nope' is undefined");
  });
});

describe('unvault', () => {
  const root = fixture({ 'files/foot.txt': 'foot\n', 'files/foot.txt.vault': encrypt('foot\n', 'secret') });

  it('gives the content of a vaulted file, and of a plain one, untouched', () => {
    const host = recordingHost({ decryptVault: (text, source) => new VaultSecrets(['secret']).decrypt(text, source).toString('utf8') });
    const { evaluate } = evaluator(root, host);
    expect(evaluate("lookup('unvault', 'foot.txt.vault')")).toBe('foot\n');
    expect(evaluate("lookup('unvault', 'foot.txt.vault') == lookup('unvault', 'foot.txt')")).toBe(true);
    expect(errorOf(() => evaluate("lookup('unvault', 'nope')")).message).toContain('Unable to find file matching "nope" ');
  });

  it('fails without the vault password', () => {
    const host = recordingHost({ decryptVault: (text, source) => new VaultSecrets([]).decrypt(text, source).toString('utf8') });
    expect(errorOf(() => evaluator(root, host).evaluate("lookup('unvault', 'foot.txt.vault')")).message).toContain('no vault secrets were given');
  });
});
