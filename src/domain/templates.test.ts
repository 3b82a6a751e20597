import { describe, expect, it } from 'vitest';
import { renderTemplate, templateReferences } from './templates.ts';

describe('templates', () => {
  it('finds single and double brace references once each, in order', () => {
    expect(templateReferences('Research {company} at {{ website }}; again {company}')).toEqual([
      'company',
      'website',
    ]);
  });

  it('treats JSON-looking braces as literal text', () => {
    expect(templateReferences('Answer as {"name": "x"} for {name}')).toEqual(['name']);
  });

  it('renders values, JSON-encoding objects and blanking missing ones', () => {
    const values: Record<string, unknown> = { a: 'x', b: 2, c: { d: 1 } };
    expect(renderTemplate('{a}-{b}-{c}-{zz}', (key) => values[key])).toBe('x-2-{"d":1}-');
  });
});
