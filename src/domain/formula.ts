import { parse, type ASTNode } from '@marcbachmann/cel-js';

/**
 * Formulas and run conditions are CEL (Common Expression Language) over a row's values, parsed by a
 * real CEL implementation: never `eval`, no access to anything but the values handed in.
 */

const COMPREHENSION_MACROS = new Set(['map', 'filter', 'all', 'exists', 'exists_one']);

export type FormulaParse = { ok: true; references: string[] } | { ok: false; message: string };

/** Parses a CEL expression and returns the top-level identifiers it reads (its column references). */
export function parseFormula(expression: string): FormulaParse {
  let ast: ASTNode;
  try {
    ast = parse(expression).ast;
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
