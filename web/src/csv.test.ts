import { describe, expect, it } from 'vitest';
import type { Column, Row } from './api.ts';
import { buildCsv, csvField, parseCsv } from './csv.ts';

describe('csvField', () => {
  it('neutralises cells a spreadsheet would run as formulas', () => {
    for (const text of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])
      expect(csvField(text).replace(/^"|"$/g, '')).toMatch(/^'/);
    expect(csvField(-5)).toBe('-5');
    expect(csvField('plain')).toBe('plain');
  });

  it('quotes commas, quotes and line breaks', () => {
    expect(csvField('Acme, Inc.')).toBe('"Acme, Inc."');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(['a', 'b'])).toBe('"a, b"');
  });
});

describe('buildCsv', () => {
  it('writes keys as headers and answers of done cells', () => {
    const columns = [
      { id: '1', created_at: '', config: { kind: 'input', name: 'Name', key: 'name' } },
      {
        id: '2',
        created_at: '',
        config: { kind: 'formula', name: 'F', key: 'f', value: { expression: 'name' } },
      },
    ] as Column[];
    const row = {
      id: 'r',
      created_at: '',
      is_missing_inputs: false,
      parent_row_id: null,
      metadata: null,
      parent_data: null,
      data: { name: { value: { answer: '=cmd' }, status: 'done' }, f: { value: null, status: 'failed' } },
    } as Row;
    expect(buildCsv(columns, [row])).toBe("\uFEFFname,f\r\n'=cmd,\r\n");
  });
});

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
