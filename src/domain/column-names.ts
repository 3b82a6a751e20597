import { COLUMN_KEY_PATTERN } from './columns.ts';

/** A snake_case key for a display name, unique among `taken`. */
export function keyFor(name: string, taken: Set<string>): string {
  let base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 56);
  if (!COLUMN_KEY_PATTERN.test(base)) base = `col_${base}`.replace(/_+$/, '') || 'col';
  let key = base;
  for (let n = 2; taken.has(key); n += 1) key = `${base}_${n}`;
  taken.add(key);
  return key;
}

/** A display name unique among `taken` ("Email", "Email (2)"). */
export function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n += 1) candidate = `${name} (${n})`;
  taken.add(candidate);
  return candidate;
}
