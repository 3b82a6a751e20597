import { formatTemplateValue, renderTemplate } from '../../domain/templates.ts';

/**
 * Filling `{key}` templates into a request, shared by the http column and custom connectors.
 */

/**
 * Values go into the URL percent-encoded, except a reference the URL starts with: that one supplies
 * the base (`{website}/about`) and is inserted as given.
 */
export function renderUrl(template: string, resolve: (key: string) => unknown): string {
  const leading = /^\{\{?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}?\}/.exec(template.trim());
  const rest = leading ? template.trim().slice(leading[0].length) : template;
  const encoded = renderTemplate(rest, (key) => encodeURIComponent(formatTemplateValue(resolve(key))));
  return leading ? `${formatTemplateValue(resolve(leading[1]!))}${encoded}` : encoded;
}

/**
 * A text body is filled as text; a JSON body template gets each value JSON-escaped in place, so a
 * value with quotes or newlines cannot break (or inject into) the document.
 */
export function renderBody(
  template: string | Record<string, unknown>,
  resolve: (key: string) => unknown,
): { body: string; json: boolean } {
  if (typeof template === 'string') return { body: renderTemplate(template, resolve), json: false };
  const body = renderTemplate(JSON.stringify(template), (key) =>
    JSON.stringify(formatTemplateValue(resolve(key))).slice(1, -1),
  );
  return { body, json: true };
}
