import type { ColumnConfig, ColumnKind, TableKind } from './columns.ts';

/**
 * Company and people tables (seed 003). A company table always has the company system columns
 * (`company_name`, `company_website`, `company_profile`: "you usually should not create those
 * manually"), filled from each row's `input`; a `company_people_finder` column grows a child table of
 * kind `people` with the columns below, one row per person found.
 */

/** The key of the input a company row is identified by (a domain, URL or name). */
export const COMPANY_INPUT_KEY = 'input';

/** The input column a company table gets when it is created without any input column. */
export const INPUT_COLUMN: ColumnConfig = { kind: 'input', name: 'Input', key: COMPANY_INPUT_KEY };

/** The company system columns, in the order they are added. */
export const COMPANY_SYSTEM_COLUMNS: readonly ColumnConfig[] = [
  { kind: 'company_name', name: 'Company Name', key: 'company_name' },
  { kind: 'company_website', name: 'Company Website', key: 'company_website' },
  { kind: 'company_profile', name: 'Company Profile', key: 'company_profile' },
];

/** The columns of a people table made by a company_people_finder (all inputs, written by the finder). */
export const PEOPLE_TABLE_COLUMNS: readonly ColumnConfig[] = [
  { kind: 'input', name: 'Input', key: 'input' },
  { kind: 'input', name: 'Full Name', key: 'full_name' },
  { kind: 'input', name: 'Role', key: 'role' },
  { kind: 'input', name: 'Profile URL', key: 'profile_url' },
];

/** The relationship between a company table and the people tables its finders made. */
export const COMPANY_PEOPLE_RELATIONSHIP = 'company_people' as const;

/**
 * The columns a new table starts with: a company table gets an `input` column when it has no input
 * column at all, and every company system column it lacks (by kind), after the columns given.
 * Keys already taken are left alone: a user's own `company_name` input column is not replaced.
 */
export function withSystemColumns(kind: TableKind, configs: readonly ColumnConfig[]): ColumnConfig[] {
  if (kind !== 'company') return [...configs];
  const result = [...configs];
  if (!result.some((config) => config.kind === 'input') && !result.some((config) => config.key === 'input'))
    result.unshift(INPUT_COLUMN);
  for (const system of COMPANY_SYSTEM_COLUMNS) {
    const present = result.some((config) => config.kind === system.kind || config.key === system.key);
    if (!present) result.push(system);
  }
  return result;
}

/**
 * Order among company columns that do not name each other: a column of the first kind waits for the
 * table's columns of the listed kinds (the website is resolved first, then the name, which the
 * profile and the people search use). Finders wait for the website they read.
 */
const WAITS_FOR_KINDS: Partial<Record<ColumnKind, readonly ColumnKind[]>> = {
  company_name: ['company_website'],
  company_profile: ['company_website', 'company_name'],
  company_people_finder: ['company_website', 'company_name'],
  discovery_scores: ['company_website', 'company_name'],
  email_finder: ['company_website'],
  phone_finder: ['company_website'],
};

export function implicitUpstreamKinds(kind: ColumnKind): readonly ColumnKind[] {
  return WAITS_FOR_KINDS[kind] ?? [];
}

/** One person of a `people` answer as the finder writes it to the child table, keyed by column key. */
export function personRowData(person: {
  full_name: string;
  role: string;
  profile_url: string | null;
}): Record<string, unknown> {
  return {
    input: person.profile_url ?? person.full_name,
    full_name: person.full_name,
    role: person.role,
    profile_url: person.profile_url,
  };
}

/** The same profile URL is the same person; without one, the same name is. */
export function personKeys(data: Record<string, unknown>): { url: string | null; name: string | null } {
  const url =
    typeof data.profile_url === 'string' && data.profile_url.trim() !== '' ? data.profile_url : null;
  const name = typeof data.full_name === 'string' && data.full_name.trim() !== '' ? data.full_name : null;
  return {
    url:
      url &&
      url
        .trim()
        .toLowerCase()
        .replace(/^https?:\/\/(www\.)?/, '')
        .replace(/\/+$/, ''),
    name: name && name.trim().toLowerCase().replace(/\s+/g, ' '),
  };
}
