import { describe, expect, it } from 'vitest';
import { extractPath } from './extract.ts';

describe('extractPath', () => {
  const doc = { data: { items: [{ name: 'Acme' }, { name: 'Globex' }] }, n: 0 };

  it('follows keys and indexes', () => {
    expect(extractPath(doc, 'data.items[1].name')).toBe('Globex');
    expect(extractPath(doc, 'data.items.0.name')).toBe('Acme');
    expect(extractPath(doc, 'n')).toBe(0);
  });

  it('answers undefined for missing steps and never reads inherited properties', () => {
    expect(extractPath(doc, 'data.nope.name')).toBeUndefined();
    expect(extractPath(doc, 'data.items[5]')).toBeUndefined();
    expect(extractPath(doc, 'constructor')).toBeUndefined();
    expect(extractPath(doc, '__proto__')).toBeUndefined();
  });
});
