import { describe, expect, it } from 'vitest';
import { parseFormula } from './formula.ts';

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
