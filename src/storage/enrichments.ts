import type { Selectable, Transaction } from 'kysely';
import { NotFoundError } from '../domain/errors.ts';
import type { TableEnrichment, VendorCredential } from '../engine/ports.ts';
import type { StoreDb } from './dialect.ts';
import { toIso } from './mapping.ts';
import type { Database, TableEnrichmentsTable } from './schema.ts';

/** Table enrichments and vendor keys (the parts of the Databar dialect that are not rows or cells). */
export class EnrichmentQueries {
  readonly #db: StoreDb;
  readonly #now: () => string;

  constructor(db: StoreDb, now: () => string) {
    this.#db = db;
    this.#now = now;
  }

  async insertTableEnrichment(
    trx: Transaction<Database>,
    input: { workspaceId: string; tableId: string; kind: string; catalogRef: string; name: string },
  ): Promise<number> {
    const row = await trx
      .insertInto('table_enrichments')
      .values({
        workspace_id: input.workspaceId,
        table_id: input.tableId,
        kind: input.kind,
        catalog_ref: input.catalogRef,
        name: input.name,
        column_id: null,
        created_at: this.#now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async setTableEnrichmentColumn(trx: Transaction<Database>, id: number, columnId: string): Promise<void> {
    await trx.updateTable('table_enrichments').set({ column_id: columnId }).where('id', '=', id).execute();
  }

  async list(workspaceId: string, tableId: string): Promise<TableEnrichment[]> {
    const rows = await this.#db
      .selectFrom('table_enrichments')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('table_id', '=', tableId)
      .orderBy('id')
      .execute();
    return rows.map(toTableEnrichment);
  }

  async get(workspaceId: string, tableId: string, id: number): Promise<TableEnrichment> {
    const row = await this.#db
      .selectFrom('table_enrichments')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('table_id', '=', tableId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('table_enrichment', String(id));
    return toTableEnrichment(row);
  }

  async setCredential(
    workspaceId: string,
    provider: string,
    secret: string,
    hint: string,
  ): Promise<VendorCredential> {
    const now = this.#now();
    await this.#db
      .insertInto('vendor_credentials')
      .values({ workspace_id: workspaceId, provider, secret, hint, created_at: now, updated_at: now })
      .onConflict((conflict) =>
        conflict.columns(['workspace_id', 'provider']).doUpdateSet({ secret, hint, updated_at: now }),
      )
      .execute();
    return { provider, hint, updatedAt: now };
  }

  async listCredentials(workspaceId: string): Promise<VendorCredential[]> {
    const rows = await this.#db
      .selectFrom('vendor_credentials')
      .select(['provider', 'hint', 'updated_at'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('provider')
      .execute();
    return rows.map((row) => ({ provider: row.provider, hint: row.hint, updatedAt: toIso(row.updated_at) }));
  }

  async getSecret(workspaceId: string, provider: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('vendor_credentials')
      .select('secret')
      .where('workspace_id', '=', workspaceId)
      .where('provider', '=', provider)
      .executeTakeFirst();
    return row?.secret;
  }

  async deleteCredential(workspaceId: string, provider: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('vendor_credentials')
      .where('workspace_id', '=', workspaceId)
      .where('provider', '=', provider)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toTableEnrichment(row: Selectable<TableEnrichmentsTable>): TableEnrichment {
  return {
    id: Number(row.id),
    tableId: row.table_id,
    kind: row.kind as TableEnrichment['kind'],
    catalogRef: row.catalog_ref,
    name: row.name,
    columnId: row.column_id,
    createdAt: toIso(row.created_at),
  };
}
