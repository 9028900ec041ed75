// Hash routes (#/hosts/web-7): the server serves one page and never needs to
// know the views' paths; the back button and shared links work.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'fleet' }
  | { page: 'host'; id: string }
  | { page: 'incidents' }
  | { page: 'incident'; id: string }
  | { page: 'runs' }
  | { page: 'audit' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [a, b] = parts;
  if (a === 'hosts' && b) return { page: 'host', id: b };
  if (a === 'incidents' && b) return { page: 'incident', id: b };
  if (a === 'incidents') return { page: 'incidents' };
  if (a === 'runs') return { page: 'runs' };
  if (a === 'audit') return { page: 'audit' };
  return { page: 'fleet' };
}

export const href = {
  fleet: () => '#/',
  host: (id: string) => `#/hosts/${encodeURIComponent(id)}`,
  incidents: () => '#/incidents',
  incident: (id: string) => `#/incidents/${encodeURIComponent(id)}`,
  runs: () => '#/runs',
  audit: () => '#/audit',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
