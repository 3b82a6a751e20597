import type { SqlMigration } from './types.ts';

/**
 * Company and people tables. A child people table remembers the `company_people_finder` column that
 * made it (`parent_column_id`: deleting the column deletes the table; the finder writes its rows
 * there). A child row keeps `parent_data`, the parent row's values by key when the row was found, so
 * its finders read the company's website without a join and `GET …/rows` shows it as Extruct does.
 */
export const companyPeople: SqlMigration = {
  name: '0006_company_people',
  sqlite: [
    `ALTER TABLE tables ADD COLUMN parent_column_id TEXT`,
    `CREATE INDEX tables_parent_column ON tables(parent_column_id) WHERE parent_column_id IS NOT NULL`,
    `ALTER TABLE rows ADD COLUMN parent_data TEXT`,
  ],
  postgres: [
    `ALTER TABLE tables ADD COLUMN parent_column_id uuid`,
    `CREATE INDEX tables_parent_column ON tables(parent_column_id) WHERE parent_column_id IS NOT NULL`,
    `ALTER TABLE rows ADD COLUMN parent_data jsonb`,
  ],
};
