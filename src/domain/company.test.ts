import { describe, expect, it } from 'vitest';
import { personKeys, withSystemColumns } from './company.ts';
import type { ColumnConfig } from './columns.ts';

describe('company tables', () => {
  it('adds an input column and the missing company system columns, after the columns given', () => {
    const given: ColumnConfig[] = [{ kind: 'company_website', name: 'Site', key: 'site' }];
    expect(withSystemColumns('company', given).map((config) => [config.kind, config.key])).toEqual([
      ['input', 'input'],
      ['company_website', 'site'],
      ['company_name', 'company_name'],
      ['company_profile', 'company_profile'],
    ]);
  });

  it('leaves other kinds of tables, and keys already taken, alone', () => {
    const given: ColumnConfig[] = [
      { kind: 'input', name: 'Domain', key: 'domain' },
      { kind: 'input', name: 'Name', key: 'company_name' },
    ];
    expect(withSystemColumns('generic', given)).toEqual(given);
    expect(withSystemColumns('company', given).map((config) => config.key)).toEqual([
      'domain',
      'company_name',
      'company_website',
      'company_profile',
    ]);
  });

  it('identifies a person by profile URL (scheme, www and trailing slash aside), else by name', () => {
    expect(
      personKeys({ full_name: ' Ada  Lovelace', profile_url: 'https://www.linkedin.com/in/ada/' }),
    ).toEqual({
      url: 'linkedin.com/in/ada',
      name: 'ada lovelace',
    });
    expect(personKeys({ full_name: 'Ada Lovelace', profile_url: null })).toEqual({
      url: null,
      name: 'ada lovelace',
    });
  });
});
