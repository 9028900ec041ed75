// Log in with an operator token (the one in a credential file, `token`); the
// server answers with a session cookie and never needs the token again.
import { useState } from 'preact/hooks';
import { post } from '../api.ts';
import type { Me } from '../types.ts';

export function Login({ onLogin }: { onLogin: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      onLogin(await post<Me>('/login', { token: token.trim() }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="login">
      <h1>Firebreak</h1>
      <form onSubmit={submit} data-testid="login-form">
        <label for="token">Operator token</label>
        <input id="token" name="token" type="password" autocomplete="off" required value={token} data-testid="login-token"
          onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <p class="muted">The <code>token</code> of your credential file (<code>firebreak operators add NAME --out FILE</code>).</p>
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">Log in</button>
        {error && <p class="error" role="alert" data-testid="login-error">{error}</p>}
      </form>
    </main>
  );
}
