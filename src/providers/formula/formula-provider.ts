import { evaluateFormula, parseFormula } from '../../domain/formula.ts';
import { isEmptyValue } from '../../domain/rows.ts';
import type { PreparedCall, Provider, ProviderRequest } from '../../engine/ports.ts';

/** Formula columns: CEL over the row, computed in process. Nothing to rate-limit, nothing worth caching. */
export function createFormulaProvider(): Provider {
  return {
    name: 'formula',
    prepare(request: ProviderRequest): PreparedCall {
      const config = request.column.config;
      if (config.kind !== 'formula')
        return { kind: 'fail', error: { kind: 'non_retryable', message: 'not a formula column' } };
      const expression = config.value.expression;
      const result = evaluateFormula(expression, request.values);
      if (!result.ok) {
        const parsed = parseFormula(expression);
        const empty = parsed.ok ? parsed.references.filter((key) => isEmptyValue(request.values[key])) : [];
        if (empty.length > 0) {
          return {
            kind: 'skip',
            reason: 'missing_input',
            message: `No value for ${empty.join(', ')} in this row`,
          };
        }
        return {
          kind: 'fail',
          error: { kind: 'non_retryable', message: `Formula error: ${result.message}` },
        };
      }
      return {
        kind: 'call',
        limiterKey: 'formula',
        execute: () => Promise.resolve({ ok: true, value: { answer: result.value } }),
      };
    },
  };
}
