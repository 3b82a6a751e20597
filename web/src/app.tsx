import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiClient, ApiError } from './api.ts';
import { SignIn } from './pages/sign-in.tsx';
import { TablesPage } from './pages/tables-page.tsx';
import { TableView } from './pages/table-view.tsx';
import { linkProps, useRoute } from './router.ts';
import { clearKey, loadKey, saveKey } from './session.ts';

export function App() {
  const [key, setKey] = useState<string | null>(() => loadKey());
  const [email, setEmail] = useState<string | null>(null);
  const client = useMemo(() => (key ? new ApiClient(key) : null), [key]);
  const route = useRoute();

  const signIn = useCallback((newKey: string, userEmail: string) => {
    saveKey(newKey);
    setEmail(userEmail);
    setKey(newKey);
  }, []);
  const signOut = useCallback(() => {
    clearKey();
    setKey(null);
    setEmail(null);
  }, []);
  /** A 401 anywhere means the key was revoked: back to sign-in. */
  const onAuthError = useCallback(
    (error: unknown) => {
      if (error instanceof ApiError && error.status === 401) signOut();
    },
    [signOut],
  );

  // After a reload the key is still in the tab: check it and show whose workspace this is.
  useEffect(() => {
    if (!client || email) return;
    client
      .getUser()
      .then((user) => setEmail(user.email))
      .catch(onAuthError);
  }, [client, email, onAuthError]);

  if (!client) return <SignIn onSignedIn={signIn} />;
  return (
    <div className="app">
      <header className="app-header">
        <a className="brand" {...linkProps('/')}>
          Enrichbase
        </a>
        <span className="spacer" />
        {email && <span className="muted">{email}</span>}
        <button type="button" className="button subtle" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main className="app-main">
        {route.page === 'tables' && <TablesPage client={client} onAuthError={onAuthError} />}
        {route.page === 'table' && (
          <TableView key={route.tableId} client={client} tableId={route.tableId} onAuthError={onAuthError} />
        )}
        {route.page === 'not_found' && (
          <div className="page">
            <h1>Page not found</h1>
            <p>
              <a {...linkProps('/')}>Back to the tables</a>
            </p>
          </div>
        )}
      </main>
    </div>
  );
}
