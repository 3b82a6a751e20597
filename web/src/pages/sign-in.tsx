import { useState, type FormEvent } from 'react';
import { ApiClient, ApiError } from '../api.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (key: string, email: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) return;
    setBusy(true);
    setError(null);
    try {
      const user = await new ApiClient(trimmed).getUser();
      onSignedIn(trimmed, user.email);
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.status === 401
          ? 'That key was not accepted. Use the key `npm start` printed, or one from `npm run cli -- keys create`.'
          : `Could not reach the server: ${String(caught)}`,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Enrichbase</h1>
        <label className="field">
          <span>API key</span>
          <input
            type="password"
            name="api-key"
            autoComplete="off"
            autoFocus
            value={key}
            onChange={(event) => setKey(event.target.value)}
            aria-describedby="key-help"
            aria-invalid={error ? true : undefined}
          />
        </label>
        <p id="key-help" className="muted small">
          The key is kept in this tab only (session storage) and sent as a Bearer token.
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button className="button primary" type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
