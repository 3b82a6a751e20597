import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.ts';

describe('parseCsv', () => {
  it('reads quotes, embedded commas, CRLF and a BOM', () => {
    const parsed = parseCsv('\uFEFFname,city\r\n"Acme, Inc.",Berlin\r\n東京ラボ,"Tokyo\r\nJapan"\r\n\r\n');
    expect(parsed.headers).toEqual(['name', 'city']);
    expect(parsed.rows).toEqual([
      ['Acme, Inc.', 'Berlin'],
      ['東京ラボ', 'Tokyo\r\nJapan'],
    ]);
  });
});
