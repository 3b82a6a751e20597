import type { Selectable } from 'kysely';
import { CONNECTOR_ID_OFFSET, type ConnectorSnapshot } from '../domain/connectors.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { ConnectorStore, StoredConnector } from '../engine/ports.ts';
import type { StoreDb } from './dialect.ts';
import { parseJson, toIso } from './mapping.ts';
import type { ConnectorsTable } from './schema.ts';

/** Custom connectors: the row id plus CONNECTOR_ID_OFFSET is the catalog id. */
export class ConnectorQueries implements ConnectorStore {
  readonly #db: StoreDb;
  readonly #now: () => string;

  constructor(db: StoreDb, now: () => string) {
    this.#db = db;
    this.#now = now;
  }

  async createConnector(
    workspaceId: string,
    input: { spec: Omit<ConnectorSnapshot, 'id'>; encryptedHeaders: string | null },
  ): Promise<StoredConnector> {
    const row = await this.#db
      .insertInto('connectors')
      .values({
        workspace_id: workspaceId,
        spec: JSON.stringify(input.spec),
        headers: input.encryptedHeaders,
        created_at: this.#now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toStoredConnector(row);
  }

  async listConnectors(workspaceId: string): Promise<StoredConnector[]> {
    const rows = await this.#db
      .selectFrom('connectors')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('id')
      .execute();
    return rows.map(toStoredConnector);
  }

  async getConnector(workspaceId: string, catalogId: number): Promise<StoredConnector | undefined> {
    const row = await this.#select(workspaceId, catalogId);
    return row ? toStoredConnector(row) : undefined;
  }

  async getConnectorHeaders(workspaceId: string, catalogId: number): Promise<string | null | undefined> {
    return (await this.#select(workspaceId, catalogId))?.headers;
  }

  async deleteConnector(workspaceId: string, catalogId: number): Promise<StoredConnector> {
    const row = await this.#select(workspaceId, catalogId);
    if (!row) throw new NotFoundError('connector', String(catalogId));
    await this.#db.deleteFrom('connectors').where('id', '=', row.id).execute();
    return toStoredConnector(row);
  }

  #select(workspaceId: string, catalogId: number) {
    const id = catalogId - CONNECTOR_ID_OFFSET;
    if (!Number.isSafeInteger(id) || id < 1) return Promise.resolve(undefined);
    return this.#db
      .selectFrom('connectors')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
  }
}

function toStoredConnector(row: Selectable<ConnectorsTable>): StoredConnector {
  const spec = parseJson<Omit<ConnectorSnapshot, 'id'>>(row.spec)!;
  return {
    connector: { ...spec, id: CONNECTOR_ID_OFFSET + Number(row.id) },
    createdAt: toIso(row.created_at),
  };
}
