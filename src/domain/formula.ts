import { Environment, type ASTNode, type ParseResult } from '@marcbachmann/cel-js';

/**
 * Formulas and run conditions are CEL (Common Expression Language) over a row's values, parsed by a
 * real CEL implementation: never `eval`, no access to anything but the values handed in.
 */

/**
 * One CEL environment for formulas and run conditions. Spreadsheet values arrive as JS numbers
 * (CEL doubles), so int/double arithmetic is allowed in both orders: `price * 2` just works.
 */
const ENVIRONMENT = createEnvironment();

function createEnvironment(): Environment {
  const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
  const arithmetic: Record<string, (a: number, b: number) => number> = {
    '+': (a, b) => a + b,
    '-': (a, b) => a - b,
    '*': (a, b) => a * b,
    '/': (a, b) => a / b,
  };
  for (const [operator, apply] of Object.entries(arithmetic)) {
    const mixed = (a: unknown, b: unknown) => apply(Number(a), Number(b));
    env.registerOperator(`double ${operator} int`, mixed);
    env.registerOperator(`int ${operator} double`, mixed);
  }
  return env;
}

const COMPILED = new Map<string, ParseResult>();
const COMPILED_LIMIT = 1000;

function compile(expression: string): ParseResult {
  let compiled = COMPILED.get(expression);
  if (!compiled) {
    compiled = ENVIRONMENT.parse(expression);
    if (COMPILED.size >= COMPILED_LIMIT) COMPILED.delete(COMPILED.keys().next().value!);
    COMPILED.set(expression, compiled);
  }
  return compiled;
}

export type FormulaResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Evaluates a CEL expression over a row's values; the result is plain JSON (integers as numbers). */
export function evaluateFormula(
  expression: string,
  values: Readonly<Record<string, unknown>>,
): FormulaResult {
  try {
    return { ok: true, value: toJson(compile(expression)(values)) };
  } catch (error) {
    const summary = (error as { summary?: string }).summary ?? (error as Error).message.split('\n')[0];
    return { ok: false, message: summary ?? 'evaluation failed' };
  }
}

function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map)
    return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), toJson(v)]));
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    if ('valueOf' in value && typeof value.valueOf === 'function' && value.valueOf() !== value)
      return toJson(value.valueOf());
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

const COMPREHENSION_MACROS = new Set(['map', 'filter', 'all', 'exists', 'exists_one']);

export type FormulaParse = { ok: true; references: string[] } | { ok: false; message: string };

/** Parses a CEL expression and returns the top-level identifiers it reads (its column references). */
export function parseFormula(expression: string): FormulaParse {
  let ast: ASTNode;
  try {
    ast = compile(expression).ast;
  } catch (error) {
    const summary = (error as { summary?: string }).summary ?? (error as Error).message;
    return { ok: false, message: `Invalid CEL expression: ${summary}` };
  }
  const identifiers = new Set<string>();
  const bound = new Set<string>();
  visit(ast, identifiers, bound);
  return { ok: true, references: [...identifiers].filter((name) => !bound.has(name)) };
}

function visit(node: unknown, identifiers: Set<string>, bound: Set<string>): void {
  if (Array.isArray(node)) {
    for (const child of node) visit(child, identifiers, bound);
    return;
  }
  if (node === null || typeof node !== 'object' || !('op' in node)) return;
  const ast = node as ASTNode;
  if (ast.op === 'id') {
    identifiers.add(ast.args);
    return;
  }
  if (ast.op === 'rcall') {
    const [name, target, args] = ast.args;
    const first = args[0];
    if (COMPREHENSION_MACROS.has(name) && first?.op === 'id') bound.add(first.args);
    visit(target, identifiers, bound);
    visit(args, identifiers, bound);
    return;
  }
  if (ast.op === 'value') return;
  visit(ast.args, identifiers, bound);
}

/** A run condition with `{key}` placeholders turned into plain CEL identifiers. */
function conditionAsCel(condition: string): string {
  return condition.replace(/\{\{?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}?\}/g, '$1');
}

/** The keys a run condition reads (`{key}` placeholders and bare identifiers alike), or its parse error. */
export function parseRunCondition(condition: string): FormulaParse {
  return parseFormula(conditionAsCel(condition));
}

/**
 * Whether a row meets its run condition. Anything but a true result (false, null, an evaluation error
 * on missing values) means the row is skipped, at no cost.
 */
export function meetsRunCondition(condition: string, values: Readonly<Record<string, unknown>>): boolean {
  const result = evaluateFormula(conditionAsCel(condition), values);
  return result.ok && result.value === true;
}
