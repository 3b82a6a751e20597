import { pagesByNumber } from './paging.ts';
import { segment, type CallOptions, type Query, type Transport } from './transport.ts';
import type {
  AddedEnrichment,
  AddedWaterfall,
  AddEnrichmentInput,
  AddWaterfallInput,
  Connection,
  Connector,
  ConnectorInput,
  ConnectionSet,
  DatabarColumn,
  DatabarColumnCreate,
  DatabarRow,
  DatabarRowsDelete,
  DatabarRowsDeleted,
  DatabarRowsInsert,
  DatabarRowsInsertResult,
  DatabarRowsPage,
  DatabarRowsPatch,
  DatabarRowsPatchResult,
  DatabarRowsQuery,
  DatabarRowsUpsert,
  DatabarRowsUpsertResult,
  DatabarTable,
  DatabarTableCreate,
  DatabarTableRename,
  DatabarUser,
  Enrichment,
  EnrichmentDetail,
  RunEnrichmentInput,
  RunEnrichmentResult,
  TableEnrichmentList,
  Waterfall,
} from './types.ts';

const tablePath = (tableUuid: string) => `/v1/table/${segment(tableUuid)}`;

/** The Databar dialect (`/v1/table/...`, `x-apikey`), and the ext vendor-key connections beside it. */
export function createDatabarApi(transport: Transport) {
  const call = <T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: CallOptions | undefined,
    extra: { body?: unknown; query?: Query; idempotent?: boolean } = {},
  ) =>
    transport.json<T>({
      method,
      path,
      auth: 'apikey',
      signal: options?.signal,
      body: extra.body,
      query: extra.query,
      idempotent: extra.idempotent,
    });

  const rowsPage = (tableUuid: string, query: DatabarRowsQuery = {}, options?: CallOptions) => {
    const { filter, ...rest } = query;
    return call<DatabarRowsPage>('GET', `${tablePath(tableUuid)}/rows`, options, {
      query: { ...rest, filter: typeof filter === 'object' ? JSON.stringify(filter) : filter },
    });
  };

  const tables = {
    /** `POST /v1/table/create`: optionally with input columns (by name) and empty rows. */
    create: (input: DatabarTableCreate = {}, options?: CallOptions) =>
      call<DatabarTable>('POST', '/v1/table/create', options, { body: input }),
    /** `GET /v1/table/`: every table of the workspace. */
    list: (options?: CallOptions) => call<DatabarTable[]>('GET', '/v1/table/', options),
    /** `PATCH /v1/table/{uuid}`. */
    rename: (tableUuid: string, input: DatabarTableRename, options?: CallOptions) =>
      call<DatabarTable>('PATCH', tablePath(tableUuid), options, { body: input, idempotent: true }),
    /** `DELETE /v1/table/{uuid}`. */
    delete: (tableUuid: string, options?: CallOptions) =>
      call<DatabarTable>('DELETE', tablePath(tableUuid), options),
    /** `POST /v1/table/{uuid}/add-enrichment`: a catalog enrichment as a column, params mapped to columns. */
    addEnrichment: (tableUuid: string, input: AddEnrichmentInput, options?: CallOptions) =>
      call<AddedEnrichment>('POST', `${tablePath(tableUuid)}/add-enrichment`, options, { body: input }),
    /** `POST /v1/table/{uuid}/add-waterfall`: enrichments tried in order until one finds data. */
    addWaterfall: (tableUuid: string, input: AddWaterfallInput, options?: CallOptions) =>
      call<AddedWaterfall>('POST', `${tablePath(tableUuid)}/add-waterfall`, options, { body: input }),
    /** `GET /v1/table/{uuid}/enrichments`. */
    enrichments: (tableUuid: string, options?: CallOptions) =>
      call<TableEnrichmentList>('GET', `${tablePath(tableUuid)}/enrichments`, options),
    /** `GET /v1/table/{uuid}/waterfalls`. */
    waterfalls: (tableUuid: string, options?: CallOptions) =>
      call<TableEnrichmentList>('GET', `${tablePath(tableUuid)}/waterfalls`, options),
    /**
     * `POST /v1/table/{uuid}/run-enrichment/{id}` (seed 002); the id is the one add-enrichment or
     * add-waterfall gave.
     */
    runEnrichment: (
      tableUuid: string,
      tableEnrichmentId: number,
      input: RunEnrichmentInput = {},
      options?: CallOptions,
    ) =>
      call<RunEnrichmentResult>(
        'POST',
        `${tablePath(tableUuid)}/run-enrichment/${segment(tableEnrichmentId)}`,
        options,
        { body: input },
      ),
  };

  const columns = {
    /** `GET /v1/table/{uuid}/columns`. */
    list: (tableUuid: string, options?: CallOptions) =>
      call<DatabarColumn[]>('GET', `${tablePath(tableUuid)}/columns`, options),
    /** `POST /v1/table/{uuid}/columns`: a text input column. */
    add: (tableUuid: string, input: DatabarColumnCreate, options?: CallOptions) =>
      call<DatabarColumn>('POST', `${tablePath(tableUuid)}/columns`, options, { body: input }),
  };

  const rows = {
    /** Every row matching the query, page after page (`per_page` is the page size, up to 500). */
    list: (
      tableUuid: string,
      query: DatabarRowsQuery = {},
      options?: CallOptions,
    ): AsyncGenerator<DatabarRow, void, undefined> =>
      pagesByNumber((page) => rowsPage(tableUuid, { ...query, page }, options), query.page),
    /** One page of `GET /v1/table/{uuid}/rows`, with `has_next_page` and `total_count`. */
    page: rowsPage,
    /** `POST /v1/table/{uuid}/rows`: up to 500 rows, fields by column name. */
    add: (tableUuid: string, input: DatabarRowsInsert, options?: CallOptions) =>
      call<DatabarRowsInsertResult>('POST', `${tablePath(tableUuid)}/rows`, options, { body: input }),
    /** `PATCH /v1/table/{uuid}/rows`: by row id, with a result per row. */
    update: (tableUuid: string, input: DatabarRowsPatch, options?: CallOptions) =>
      call<DatabarRowsPatchResult>('PATCH', `${tablePath(tableUuid)}/rows`, options, {
        body: input,
        idempotent: true,
      }),
    /** `POST /v1/table/{uuid}/rows/upsert`: update the row whose `key` fields match, or create it. */
    upsert: (tableUuid: string, input: DatabarRowsUpsert, options?: CallOptions) =>
      call<DatabarRowsUpsertResult>('POST', `${tablePath(tableUuid)}/rows/upsert`, options, {
        body: input,
        idempotent: true,
      }),
    /** `POST /v1/table/{uuid}/rows/delete`. */
    delete: (tableUuid: string, input: DatabarRowsDelete, options?: CallOptions) =>
      call<DatabarRowsDeleted>('POST', `${tablePath(tableUuid)}/rows/delete`, options, {
        body: input,
        idempotent: true,
      }),
  };

  const enrichments = {
    /** `GET /v1/enrichments/`: the catalog. */
    list: (options?: CallOptions) => call<Enrichment[]>('GET', '/v1/enrichments/', options),
    /** `GET /v1/enrichments/{id}`: with its params and response fields. */
    get: (enrichmentId: number, options?: CallOptions) =>
      call<EnrichmentDetail>('GET', `/v1/enrichments/${segment(enrichmentId)}`, options),
  };

  const waterfalls = {
    /** `GET /v1/waterfalls/`. */
    list: (options?: CallOptions) => call<Waterfall[]>('GET', '/v1/waterfalls/', options),
    /** `GET /v1/waterfalls/{identifier}`. */
    get: (identifier: string, options?: CallOptions) =>
      call<Waterfall>('GET', `/v1/waterfalls/${segment(identifier)}`, options),
  };

  const connections = {
    /** ext `GET /v1/connections`: which vendors have a key (its last characters only). */
    list: (options?: CallOptions) => call<Connection[]>('GET', '/v1/connections', options),
    /** ext `PUT /v1/connections/{provider}`: stores the workspace's key for a vendor, encrypted. */
    set: (provider: string, input: ConnectionSet, options?: CallOptions) =>
      call<Connection>('PUT', `/v1/connections/${segment(provider)}`, options, { body: input }),
    /** ext `DELETE /v1/connections/{provider}`; 404 when the vendor had no key. */
    delete: (provider: string, options?: CallOptions) =>
      // The route's own inline schema; not worth a named one.
      call<{ deleted: boolean }>('DELETE', `/v1/connections/${segment(provider)}`, options),
  };

  const connectors = {
    /** ext `POST /v1/connectors`: a custom HTTP connector in the workspace's catalog (headers never come back). */
    create: (input: ConnectorInput, options?: CallOptions) =>
      call<Connector>('POST', '/v1/connectors', options, { body: input }),
    /** ext `GET /v1/connectors`. */
    list: (options?: CallOptions) => call<Connector[]>('GET', '/v1/connectors', options),
    /** ext `GET /v1/connectors/{id}` (its catalog id). */
    get: (id: number, options?: CallOptions) =>
      call<Connector>('GET', `/v1/connectors/${segment(id)}`, options),
    /** ext `DELETE /v1/connectors/{id}`: gone from the catalog with its stored headers. */
    delete: (id: number, options?: CallOptions) =>
      call<Connector>('DELETE', `/v1/connectors/${segment(id)}`, options),
  };

  return {
    /** `GET /v1/user/me`. */
    user: (options?: CallOptions) => call<DatabarUser>('GET', '/v1/user/me', options),
    tables,
    columns,
    rows,
    enrichments,
    waterfalls,
    connections,
    connectors,
  };
}
