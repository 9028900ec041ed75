// The dashboard's entry: asks who is logged in (401 = show the login page),
// then the shell (navigation, who, live status) around the page of the route.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { get, onUnauthorized, post, setSession, ApiError } from './api.ts';
import { onLiveClosed, startLive, stopLive, useLiveState } from './live.ts';
import { Audit } from './pages/audit.tsx';
import { Fleet } from './pages/fleet.tsx';
import { HostView } from './pages/host.tsx';
import { Incident } from './pages/incident.tsx';
import { Incidents } from './pages/incidents.tsx';
import { Login } from './pages/login.tsx';
import { Runs } from './pages/runs.tsx';
import { href, useRoute, type Route } from './router.ts';
import { SessionContext } from './session.ts';
import type { Me } from './types.ts';

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'fleet': return <Fleet />;
    case 'host': return <HostView id={route.id} key={route.id} />;
    case 'incidents': return <Incidents />;
    case 'incident': return <Incident id={route.id} key={route.id} />;
    case 'runs': return <Runs />;
    case 'audit': return <Audit />;
  }
}

function Shell({ me, onLogout }: { me: Me; onLogout: () => void }) {
  const route = useRoute();
  const live = useLiveState();
  const current = (pages: Route['page'][]) => (pages.includes(route.page) ? 'page' : undefined);
  return (
    <>
      <header>
        <strong class="brand">Firebreak</strong>
        <nav aria-label="main">
          <a href={href.fleet()} aria-current={current(['fleet', 'host'])} data-testid="nav-fleet">Fleet</a>
          <a href={href.incidents()} aria-current={current(['incidents', 'incident'])} data-testid="nav-incidents">Incidents</a>
          <a href={href.runs()} aria-current={current(['runs'])} data-testid="nav-runs">Playbook runs</a>
          <a href={href.audit()} aria-current={current(['audit'])} data-testid="nav-audit">Audit</a>
        </nav>
        <span class={`live ${live}`} data-testid="live-status" role="status">{live === 'live' ? 'live' : live}</span>
        <span data-testid="whoami">{me.name} ({me.role})</span>
        <button type="button" data-testid="logout" onClick={onLogout}>Log out</button>
      </header>
      <Page route={route} />
    </>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState('');
  const signIn = (m: Me | null) => {
    setSession(m);
    setMe(m);
    if (m) startLive();
    else stopLive();
  };
  useEffect(() => {
    onUnauthorized(() => signIn(null));
    // the stream refused a reconnect: a 401 here ends the session; otherwise try the stream again shortly
    onLiveClosed(() => { setTimeout(() => get<Me>('/me').then(() => startLive(), () => {}), 2000); });
    get<Me>('/me').then(signIn, (err: Error) => {
      if (err instanceof ApiError && err.status === 401) return signIn(null);
      setError(err.message);
    });
  }, []);
  if (error) return <main><h1>Firebreak</h1><p class="error" role="alert">{error}</p></main>;
  if (me === undefined) return <main><p>Loading…</p></main>;
  if (me === null) return <Login onLogin={signIn} />;
  const logout = () => { post('/logout').catch(() => {}).finally(() => signIn(null)); };
  return (
    <SessionContext.Provider value={me}>
      <Shell me={me} onLogout={logout} />
    </SessionContext.Provider>
  );
}

render(<App />, document.getElementById('app')!);
