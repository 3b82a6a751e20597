import { describe, expect, it } from 'vitest';
import { renderBody, renderUrl } from './render.ts';

describe('request templates', () => {
  it('percent-encodes values in a URL, except a leading reference that supplies the base', () => {
    const values: Record<string, unknown> = { q: 'a b&c=d/é', site: 'https://acme.test' };
    expect(renderUrl('https://api.test/find?q={q}', (key) => values[key])).toBe(
      'https://api.test/find?q=a%20b%26c%3Dd%2F%C3%A9',
    );
    expect(renderUrl('{site}/about?ref={q}', (key) => values[key])).toBe(
      'https://acme.test/about?ref=a%20b%26c%3Dd%2F%C3%A9',
    );
  });

  it('escapes values inside a JSON body template, so no value can break out of its string', () => {
    const hostile = '", "admin": true, "x": "\n\\';
    const { body, json } = renderBody({ name: '{name}', nested: { list: ['{name}'] } }, () => hostile);
    expect(json).toBe(true);
    expect(JSON.parse(body)).toEqual({ name: hostile, nested: { list: [hostile] } });
  });

  it('fills a text body as text', () => {
    expect(renderBody('name={name}', () => 'Ada')).toEqual({ body: 'name=Ada', json: false });
  });
});
