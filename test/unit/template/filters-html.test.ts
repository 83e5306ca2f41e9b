// HTML filters. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, vars, 'test');
const render = (text: string, vars: Record<string, unknown> = {}) => t.render(text, vars, 'test');

describe('escaping', () => {
  it('escape once; forceescape always; safe text is left alone', () => {
    expect(render(`{{ s | escape }}`, { s: `It's "quoted" & <tag>` })).toBe('It&#39;s &#34;quoted&#34; &amp; &lt;tag&gt;');
    expect(render("{{ '<b>' | e | e }}")).toBe('&lt;b&gt;');
    expect(render("{{ '<b>' | e | forceescape }}")).toBe('&amp;lt;b&amp;gt;');
    expect(render("{{ '<b>' | safe | e }}")).toBe('<b>');
    expect(ev("('x' | e) is escaped")).toBe(true);
    expect(ev("'x' is escaped")).toBe(false);
  });
  it('striptags removes tags and comments, joins whitespace and decodes entities', () => {
    expect(ev(`'<a href="x">Link</a> &amp; more  text <!-- hidden --> &raquo;&#33;' | striptags`)).toBe('Link & more text »!');
  });
});

describe('urlize', () => {
  it('links URLs and addresses, keeping surrounding punctuation outside', () => {
    expect(ev("'Visit www.example.com or http://x.org/a. Mail me@x.com!' | urlize")).toBe(
      'Visit <a href="https://www.example.com" rel="noopener">www.example.com</a> or <a href="http://x.org/a" rel="noopener">http://x.org/a</a>. Mail me@x.com!',
    );
    expect(ev("'(http://a.com)' | urlize")).toBe('(<a href="http://a.com" rel="noopener">http://a.com</a>)');
    expect(ev("'Mail me@x.com.' | urlize")).toBe('Mail <a href="mailto:me@x.com">me@x.com</a>.');
    expect(ev("'mailto:x@y.com' | urlize")).toBe('<a href="mailto:x@y.com">x@y.com</a>');
  });
  it('trims shown URLs, adds nofollow and a target', () => {
    expect(ev("'see https://example.com/some/very/long/path' | urlize(20, true, target='_blank')")).toBe(
      'see <a href="https://example.com/some/very/long/path" rel="nofollow noopener" target="_blank">https://example.com/...</a>',
    );
  });
});

describe('xmlattr', () => {
  it('writes escaped attributes, skipping None, with a leading space unless told not to', () => {
    expect(ev(`{'class': 'x', 'id': 5, 'n': none, 'q': 'a"b'} | xmlattr`)).toBe(' class="x" id="5" q="a&#34;b"');
    expect(ev("{'class': 'x'} | xmlattr(false)")).toBe('class="x"');
    expect(() => ev("{'a b': 1} | xmlattr")).toThrow("Invalid character in attribute name: 'a b'");
  });
});
