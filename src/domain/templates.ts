/**
 * `{key}` templates in prompts, URLs, headers and bodies. `{{key}}` is accepted as the same reference.
 * Anything else in braces (JSON examples such as `{"a": 1}`) is literal text.
 */
const REFERENCE_PATTERN = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The distinct keys a template references, in order of first appearance. */
export function templateReferences(template: string): string[] {
  const keys = new Set<string>();
  for (const match of template.matchAll(REFERENCE_PATTERN)) {
    keys.add((match[1] ?? match[2])!);
  }
  return [...keys];
}

/** Replaces each reference with `resolve(key)`; objects and arrays are rendered as JSON. */
export function renderTemplate(template: string, resolve: (key: string) => unknown): string {
  return template.replace(
    REFERENCE_PATTERN,
    (_whole, doubled: string | undefined, single: string | undefined) =>
      formatTemplateValue(resolve((doubled ?? single)!)),
  );
}

export function formatTemplateValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}
