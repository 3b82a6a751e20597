import { describe, expect, it } from 'vitest';
import { evaluateFormula, parseFormula } from './formula.ts';

describe('parseFormula', () => {
  it('returns the identifiers an expression reads, without macro variables', () => {
    const result = parseFormula('employees.map(e, e.name).size() > min && name.startsWith("A")');
    expect(result).toEqual({ ok: true, references: ['employees', 'min', 'name'] });
  });

  it('reports a syntax error instead of throwing', () => {
    const result = parseFormula('a +');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/Invalid CEL expression/);
  });
});

describe('evaluateFormula', () => {
  it('mixes integers and decimals the way a spreadsheet user expects', () => {
    expect(evaluateFormula('price * 2', { price: 10 })).toEqual({ ok: true, value: 20 });
    expect(evaluateFormula('price * 1.5 + 1', { price: 10 })).toEqual({ ok: true, value: 16 });
    expect(evaluateFormula('size(tags) + 1', { tags: ['a', 'b'] })).toEqual({ ok: true, value: 3 });
    expect(evaluateFormula('{"n": name, "long": size(name) > 3}', { name: 'Acme' })).toEqual({
      ok: true,
      value: { n: 'Acme', long: true },
    });
  });

  it('reports evaluation errors as messages', () => {
    const result = evaluateFormula('name + "!"', { name: null });
    expect(result.ok).toBe(false);
  });
});
