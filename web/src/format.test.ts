import { describe, expect, it } from 'vitest';
import { answerPretty, answerText, cellAccessibleText, keyFromName, uniqueKey } from './format.ts';

describe('answerText', () => {
  it('renders each answer type as grid text', () => {
    expect(answerText('Acme')).toBe('Acme');
    expect(answerText(1234.5)).toBe('1234.5');
    expect(answerText(true)).toBe('true');
    expect(answerText(null)).toBe('');
    expect(answerText(['SaaS', 'Hardware'])).toBe('SaaS, Hardware');
    expect(answerText({ amount: 1200, currency: 'usd' })).toBe('1,200 USD');
    expect(answerText([{ full_name: 'Ada Lovelace', role: 'CEO', profile_url: null }])).toBe(
      'Ada Lovelace (CEO)',
    );
    expect(answerText({ employees: 120, public: false })).toBe('{"employees":120,"public":false}');
  });

  it('pretty-prints objects for the detail panel', () => {
    expect(answerPretty({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(answerPretty({ amount: 5, currency: 'EUR' })).toBe('5 EUR');
  });
});

describe('keyFromName', () => {
  it('derives a snake_case key that the API accepts', () => {
    expect(keyFromName('Company Name')).toBe('company_name');
    expect(keyFromName('  Héllo—World! ')).toBe('hello_world');
    expect(keyFromName('2024 revenue')).toBe('c_2024_revenue');
    expect(keyFromName('東京')).toBe('column');
    expect(keyFromName('x'.repeat(80))).toHaveLength(64);
    for (const name of ['A b', '9', '__', 'Ünïcödé', 'a-b-c'])
      expect(keyFromName(name)).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('makes a key unique in its table', () => {
    expect(uniqueKey('name', new Set(['name', 'name_2']))).toBe('name_3');
  });
});

describe('cellAccessibleText', () => {
  it('names the status of cells that are not done', () => {
    expect(cellAccessibleText({ value: null, status: 'in_progress' })).toBe('running');
    expect(cellAccessibleText({ value: null, status: 'failed', error: { type: 'x', message: 'boom' } })).toBe(
      'failed: boom',
    );
    expect(cellAccessibleText({ value: { answer: 'A' }, status: 'done' })).toBe('A');
    expect(cellAccessibleText(null)).toBe('not run');
  });
});
