// Webhook delivery for the notify action: POST the JSON body, retry with exponential
// backoff on network errors, timeouts, 429 and 5xx, up to a bounded number of attempts.
// Other 4xx answers are not retried: the receiver refused the request itself.
import type { Logger } from 'pino';

export interface NotifyResult {
  ok: boolean;
  attempts: number;
  /** HTTP status of the last answer, null when none came. */
  status: number | null;
  error: string | null;
  /** Waits between attempts, in ms (for the run record and tests). */
  delaysMs: number[];
}

export interface NotifyRequestOptions {
  /** Default 5. */
  attempts?: number;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
}

export type Notify = (url: string, body: unknown, opts?: NotifyRequestOptions) => Promise<NotifyResult>;

export interface WebhookOptions {
  /** First wait; doubles each retry. Default 500 ms. */
  baseDelayMs?: number;
  /** Ceiling on one wait. Default 30 s. */
  maxDelayMs?: number;
  /** Injected for tests; default a real timer. */
  sleep?: (ms: number) => Promise<void>;
  log?: Logger;
  /** Sent as User-Agent. */
  userAgent?: string;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function webhookNotifier(opts: WebhookOptions = {}): Notify {
  const base = opts.baseDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 30_000;
  const sleep = opts.sleep ?? realSleep;
  return async (url, body, req = {}) => {
    const attempts = Math.max(1, Math.min(10, req.attempts ?? 5));
    const timeoutMs = req.timeoutMs ?? 5_000;
    const payload = JSON.stringify(body);
    const delaysMs: number[] = [];
    let status: number | null = null;
    let error: string | null = null;
    for (let n = 1; n <= attempts; n++) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': opts.userAgent ?? 'firebreak-controller' },
          body: payload,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined); // drain so the socket is reused
        if (res.ok) return { ok: true, attempts: n, status, error: null, delaysMs };
        error = `the webhook answered HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) return { ok: false, attempts: n, status, error: `${error}; not retried (fix the receiver or the URL)`, delaysMs };
      } catch (err) {
        status = null;
        error = `the webhook could not be reached: ${(err as Error).message}`;
      }
      if (n < attempts) {
        const wait = Math.min(max, base * 2 ** (n - 1));
        delaysMs.push(wait);
        opts.log?.warn({ url: redact(url), attempt: n, waitMs: wait, error }, 'webhook delivery failed; retrying');
        await sleep(wait);
      }
    }
    return { ok: false, attempts, status, error: `${error} (gave up after ${attempts} attempts)`, delaysMs };
  };
}

/** Webhook URLs often carry a token in the path or query: log the origin only. */
export function redact(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(bad url)';
  }
}
