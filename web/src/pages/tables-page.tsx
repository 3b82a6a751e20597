import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, type ApiClient, type TableKind, type TableListItem } from '../api.ts';
import { ConfirmModal, Modal } from '../components/modal.tsx';
import { formatCount } from '../format.ts';
import { linkProps, navigate } from '../router.ts';

const KINDS: readonly TableKind[] = ['generic', 'company', 'people'];

export function TablesPage({
  client,
  onAuthError,
}: {
  client: ApiClient;
  onAuthError: (error: unknown) => void;
}) {
  const [search, setSearch] = useState('');
  const [tables, setTables] = useState<TableListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<TableListItem | null>(null);
  const [deleting, setDeleting] = useState<TableListItem | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    // Wait for typing to pause before asking the server.
    const timer = setTimeout(() => {
      client
        .listTables({ search: search.trim() || undefined, limit: 100 })
        .then((list) => {
          if (controller.signal.aborted) return;
          setTables(list.items);
          setError(null);
        })
        .catch((caught: unknown) => {
          onAuthError(caught);
          if (!controller.signal.aborted) setError(String(caught instanceof Error ? caught.message : caught));
        });
    }, 200);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [client, search, reload, onAuthError]);

  const refresh = useCallback(() => setReload((n) => n + 1), []);

  return (
    <div className="page">
      <div className="page-title">
        <h1>Tables</h1>
        <span className="spacer" />
        <input
          type="search"
          className="search"
          placeholder="Search tables"
          aria-label="Search tables"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        <button type="button" className="button primary" onClick={() => setCreating(true)}>
          New table
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {tables === null ? (
        <p className="muted">Loading…</p>
      ) : tables.length === 0 ? (
        <p className="muted">
          {search ? 'No table matches that search.' : 'No tables yet. Create one to start.'}
        </p>
      ) : (
        <table className="list" aria-label="Tables">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">
                Rows
              </th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tables.map((table) => (
              <tr key={table.id}>
                <td>
                  <a {...linkProps(`/tables/${table.id}`)}>{table.name}</a>
                </td>
                <td>{table.kind}</td>
                <td className="num">{formatCount(table.num_rows)}</td>
                <td>{new Date(table.updated_at).toLocaleString()}</td>
                <td className="actions">
                  <button type="button" className="button subtle" onClick={() => setRenaming(table)}>
                    Rename<span className="visually-hidden"> {table.name}</span>
                  </button>
                  <button
                    type="button"
                    className="button subtle danger-text"
                    onClick={() => setDeleting(table)}
                  >
                    Delete<span className="visually-hidden"> {table.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <CreateTableModal
          client={client}
          onClose={() => setCreating(false)}
          onCreated={(id) => {
            setCreating(false);
            navigate(`/tables/${id}`);
          }}
        />
      )}
      {renaming && (
        <RenameTableModal
          client={client}
          table={renaming}
          onClose={() => setRenaming(null)}
          onRenamed={() => {
            setRenaming(null);
            refresh();
          }}
        />
      )}
      {deleting && (
        <ConfirmModal
          title="Delete table"
          message={
            <p>
              Delete <strong>{deleting.name}</strong> and its {formatCount(deleting.num_rows)} rows, cells and
              runs? This cannot be undone.
            </p>
          }
          confirmLabel="Delete table"
          onClose={() => setDeleting(null)}
          onConfirm={() => {
            const target = deleting;
            setDeleting(null);
            client
              .deleteTable(target.id)
              .then(refresh)
              .catch((caught: unknown) => setError(`Could not delete: ${String(caught)}`));
          }}
        />
      )}
    </div>
  );
}

function CreateTableModal({
  client,
  onClose,
  onCreated,
}: {
  client: ApiClient;
  onClose: () => void;
  onCreated: (id: string) => void;
}) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<TableKind>('generic');
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const table = await client.createTable({ name: name.trim() || 'Untitled Table', kind });
      onCreated(table.id);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
    }
  }

  return (
    <Modal title="New table" onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <div className="modal-body">
          <label className="field">
            <span>Name</span>
            <input
              value={name}
              onChange={(event) => setName(event.target.value)}
              placeholder="Untitled Table"
            />
          </label>
          <label className="field">
            <span>Kind</span>
            <select value={kind} onChange={(event) => setKind(event.target.value as TableKind)}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary">
            Create table
          </button>
        </div>
      </form>
    </Modal>
  );
}

function RenameTableModal({
  client,
  table,
  onClose,
  onRenamed,
}: {
  client: ApiClient;
  table: TableListItem;
  onClose: () => void;
  onRenamed: () => void;
}) {
  const [name, setName] = useState(table.name);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await client.updateTable(table.id, { name: name.trim() });
      onRenamed();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
    }
  }

  return (
    <Modal title="Rename table" onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <div className="modal-body">
          <label className="field">
            <span>Name</span>
            <input value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!name.trim()}>
            Rename
          </button>
        </div>
      </form>
    </Modal>
  );
}
