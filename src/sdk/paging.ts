/**
 * Extruct paging: `offset`/`limit`, and the last page is the one with fewer than `limit` items
 * (so a table whose size is a multiple of `limit` costs one more, empty, request).
 */
export async function* pagesByOffset<T>(
  fetchPage: (offset: number, limit: number) => Promise<T[]>,
  start: { offset?: number | undefined; limit?: number | undefined },
): AsyncGenerator<T, void, undefined> {
  const limit = start.limit ?? 100;
  for (let offset = start.offset ?? 0; ; offset += limit) {
    const items = await fetchPage(offset, limit);
    yield* items;
    if (items.length < limit) return;
  }
}

/** Databar paging: `page` from 1, until the server says `has_next_page: false`. */
export async function* pagesByNumber<T>(
  fetchPage: (page: number) => Promise<{ data: T[]; has_next_page: boolean }>,
  firstPage = 1,
): AsyncGenerator<T, void, undefined> {
  for (let page = firstPage; ; page++) {
    const { data, has_next_page: hasNextPage } = await fetchPage(page);
    yield* data;
    // An empty page that claims a successor would loop forever.
    if (!hasNextPage || data.length === 0) return;
  }
}
