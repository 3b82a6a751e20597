/** A numbered migration as plain SQL per store: each store gets the types it is best at. */
export interface SqlMigration {
  /** Sorts in apply order: `0001_initial`, `0002_…`. Never rename or edit one that has shipped. */
  name: string;
  sqlite: string[];
  postgres: string[];
}
