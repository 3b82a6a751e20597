import { describe, expect, it } from 'vitest';
import type { Column, ColumnConfig } from '../api.ts';
import { buildConfig, initialState } from './column-editor.tsx';

const column = (config: ColumnConfig): Column => ({ id: 'c1', created_at: '', config });

describe('column editor forms', () => {
  it('edits a people finder: roles as a list, max_results as a number, the provider the seed fixes', () => {
    const state = initialState(
      column({
        kind: 'company_people_finder',
        name: 'Leaders',
        key: 'leaders',
        value: { roles: ['CEO', 'CTO'], provider: 'research_pro', max_results: 3 },
      }),
    );
    expect(state).toMatchObject({ kind: 'company_people_finder', roles: 'CEO, CTO', maxResults: '3' });
    expect(buildConfig({ ...state, roles: 'CEO, Head of Sales ,', maxResults: '7' }, undefined)).toEqual({
      config: {
        kind: 'company_people_finder',
        name: 'Leaders',
        key: 'leaders',
        value: { roles: ['CEO', 'Head of Sales'], provider: 'research_pro', max_results: 7 },
      },
    });
    expect(buildConfig({ ...state, roles: ' , ', maxResults: '0' }, undefined)).toEqual({
      errors: {
        'value.roles': 'Name at least one role, e.g. CEO, Head of Sales',
        'value.max_results': 'A whole number of people, 1 or more',
      },
    });
  });

  it('edits finders by name and key only, and a reverse lookup by its email column', () => {
    const finder = initialState(column({ kind: 'phone_finder', name: 'Phone', key: 'phone' }));
    expect(buildConfig(finder, undefined)).toEqual({
      config: { kind: 'phone_finder', name: 'Phone', key: 'phone' },
    });
    const lookup = initialState(
      column({ kind: 'reverse_email_lookup', name: 'Who', key: 'who', email_column_key: 'email' }),
    );
    expect(buildConfig(lookup, undefined)).toEqual({
      config: { kind: 'reverse_email_lookup', name: 'Who', key: 'who', email_column_key: 'email' },
    });
    expect(buildConfig({ ...lookup, emailColumnKey: '' }, undefined)).toEqual({
      errors: { email_column_key: 'Choose the column that holds the email address' },
    });
  });
});
