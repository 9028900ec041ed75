// Live updates: one EventSource on /api/events for the whole app. The server
// sends an event per topic (hosts, alerts, runs, commands, audit) with the ids
// that changed; a view refetches what it shows when its topics fire. Bursts (a
// worm reaching many hosts in a second) are folded into one refetch per view.
import { useEffect, useRef, useState } from 'preact/hooks';

export const TOPICS = ['hosts', 'alerts', 'runs', 'commands', 'audit'] as const;
export type Topic = (typeof TOPICS)[number];
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'off';

/** What an event says changed: ids (hosts, alerts, runs, commands), `more` when the server cut the list. */
export interface Change {
  ids: string[];
  more?: boolean;
}

const listeners = new Set<(topic: Topic, change: Change) => void>();
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
  source.onopen = () => {
    setState('live');
    // events sent while the stream was down (or before it first opened) are lost: every view refetches once
    for (const t of TOPICS) for (const l of listeners) l(t, { ids: [], more: true });
  };
  // EventSource reconnects by itself; say so meanwhile
  source.onerror = () => {
    if (source?.readyState !== EventSource.CLOSED) return setState('reconnecting');
    source = null;
    setState('off');
    onClosed();
  };
  for (const t of TOPICS) {
    source.addEventListener(t, (e) => {
      let change: Change = { ids: [], more: true };
      try { change = JSON.parse((e as MessageEvent<string>).data) as Change; } catch { /* no ids: treat as "anything" */ }
      for (const l of listeners) l(t, change);
    });
  }
}

export function stopLive(): void {
  source?.close();
  source = null;
  setState('off');
}

/**
 * Calls fn when one of the topics fires (and `only`, if given, says the change concerns this
 * view), at most once per `everyMs`: a fleet-wide outbreak fires many events a second.
 */
export function useLive(topics: readonly Topic[], fn: () => void, only?: (topic: Topic, change: Change) => boolean, everyMs = 300): void {
  // the latest callbacks, without resubscribing on every render
  const cb = useRef({ fn, only });
  cb.current = { fn, only };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const l = (t: Topic, change: Change) => {
      if (!topics.includes(t) || timer) return;
      const { only: wanted } = cb.current;
      if (wanted && !change.more && !wanted(t, change)) return;
      timer = setTimeout(() => { timer = undefined; cb.current.fn(); }, everyMs);
    };
    listeners.add(l);
    return () => { listeners.delete(l); if (timer) clearTimeout(timer); };
  }, [topics.join(), everyMs]);
}

export function useLiveState(): LiveState {
  const [s, set] = useState(state);
  useEffect(() => { stateListeners.add(set); set(state); return () => { stateListeners.delete(set); }; }, []);
  return s;
}
