// URLs. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, vars, 'test');

describe('urlencode and urldecode', () => {
  it('quote strings for a path, dicts and pairs as a query', () => {
    const raw = `key="@{}é&%£ foo bar '(;\\<>""°)`;
    const encoded = 'key%3D%22%40%7B%7D%C3%A9%26%25%C2%A3%20foo%20bar%20%27%28%3B%5C%3C%3E%22%22%C2%B0%29';
    expect(ev('s | urlencode', { s: raw })).toBe(encoded);
    expect(ev('s | urldecode', { s: encoded })).toBe(raw);
    expect(ev("'a/b c' | urlencode")).toBe('a/b%20c');
    expect(ev("{'a b': 'c&d', 'e': 1} | urlencode")).toBe('a+b=c%26d&e=1');
    expect(ev("[['x', 'y'], ['z', 'w w']] | urlencode")).toBe('x=y&z=w+w');
    expect(ev("{} | urlencode")).toBe('');
    expect(ev("'a%20b+c%C3%A9%ZZ%e9' | urldecode")).toBe('a b cé%ZZ\ufffd');
  });
});

describe('urlsplit', () => {
  const url = 'http://user:pw@www.Example.com:9000/dir/i.html?q=t#frag';
  it('gives every component, or one', () => {
    expect(ev('u | urlsplit', { u: url })).toEqual({
      fragment: 'frag', hostname: 'www.example.com', netloc: 'user:pw@www.Example.com:9000', password: 'pw',
      path: '/dir/i.html', port: 9000, query: 'q=t', scheme: 'http', username: 'user',
    });
    expect(ev("u | urlsplit('hostname')", { u: url })).toBe('www.example.com');
    expect(ev("'http://www.acme.com/x' | urlsplit('port')")).toBe(null);
    expect(ev("'http://[::1]:80/x' | urlsplit('hostname')")).toBe('::1');
    expect(ev("'mailto:a@b.c' | urlsplit('path')")).toBe('a@b.c');
    expect(ev("'path?x#y' | urlsplit")).toMatchObject({ scheme: '', netloc: '', path: 'path', query: 'x', fragment: 'y' });
  });
  it("refuses what Python's urlsplit refuses", () => {
    expect(() => ev("'http://h:abc/' | urlsplit")).toThrow("Port could not be cast to integer value as 'abc'");
    expect(() => ev("'http://h:99999/' | urlsplit")).toThrow('Port out of range 0-65535');
    expect(() => ev("'http://[::1/' | urlsplit")).toThrow('Invalid IPv6 URL');
    expect(() => ev("'http://h/' | urlsplit('nope')")).toThrow('urlsplit: unknown URL component: nope');
  });
});
