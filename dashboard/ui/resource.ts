// Fetch-and-refresh for a view: loads on mount and when its key changes,
// reloads when one of its live topics fires, keeps showing the last good data
// while a reload runs (no flicker at 3 a.m.), and says when a reload failed.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useLive, type Change, type Topic } from './live.ts';

export interface Resource<T> {
  data: T | undefined;
  error: string | undefined;
  /** HTTP status of the last failure (403: the role may not read this). */
  status: number | undefined;
  reload: () => void;
}

export interface LiveOptions {
  /** refetch only when the change concerns this view (e.g. its host's id); `more` always refetches */
  only?: (topic: Topic, change: Change) => boolean;
  /** at most one refetch per this long (default 300 ms) */
  everyMs?: number;
}

export function useResource<T>(key: string, load: () => Promise<T>, topics: readonly Topic[], live: LiveOptions = {}): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<{ msg: string; status: number } | undefined>(undefined);
  const gen = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => {
    const mine = ++gen.current;
    loadRef.current().then(
      (d) => { if (mine === gen.current) { setData(d); setError(undefined); } },
      (e: Error & { status?: number }) => { if (mine === gen.current) setError({ msg: e.message, status: e.status ?? 0 }); },
    );
  }, []);
  useEffect(() => { setData(undefined); setError(undefined); reload(); }, [key]);
  useLive(topics, reload, live.only, live.everyMs);
  return { data, error: error?.msg, status: error?.status, reload };
}
