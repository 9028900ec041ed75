// Live updates: one EventSource on /api/events for the whole app. The server
// sends an event per topic (hosts, alerts, runs, commands, audit) with the ids
// that changed; a view refetches what it shows when its topics fire. Bursts (a
// worm reaching many hosts in a second) are folded into one refetch per view.
import { useEffect, useState } from 'preact/hooks';

export const TOPICS = ['hosts', 'alerts', 'runs', 'commands', 'audit'] as const;
export type Topic = (typeof TOPICS)[number];
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'off';

const listeners = new Set<(topic: Topic) => void>();
const stateListeners = new Set<(s: LiveState) => void>();
let source: EventSource | null = null;
let state: LiveState = 'off';
let onClosed: () => void = () => {};

/** Called when the stream gave up (a refused reconnect, e.g. 401 after the session ended). */
export function onLiveClosed(fn: () => void): void {
  onClosed = fn;
}

function setState(s: LiveState): void {
  state = s;
  for (const l of stateListeners) l(s);
}

export function startLive(): void {
  if (source) return;
  setState('connecting');
  source = new EventSource('/api/events');
  source.onopen = () => setState('live');
  // EventSource reconnects by itself; say so meanwhile
  source.onerror = () => {
    if (source?.readyState !== EventSource.CLOSED) return setState('reconnecting');
    source = null;
    setState('off');
    onClosed();
  };
  for (const t of TOPICS) source.addEventListener(t, () => { for (const l of listeners) l(t); });
}

export function stopLive(): void {
  source?.close();
  source = null;
  setState('off');
}

/** Calls fn (at most every 300 ms) when one of the topics fires. */
export function useLive(topics: readonly Topic[], fn: () => void): void {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const l = (t: Topic) => {
      if (!topics.includes(t) || timer) return;
      timer = setTimeout(() => { timer = undefined; fn(); }, 300);
    };
    listeners.add(l);
    return () => { listeners.delete(l); if (timer) clearTimeout(timer); };
  }, [topics.join(), fn]);
}

export function useLiveState(): LiveState {
  const [s, set] = useState(state);
  useEffect(() => { stateListeners.add(set); set(state); return () => { stateListeners.delete(set); }; }, []);
  return s;
}
