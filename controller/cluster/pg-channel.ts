// PostgreSQL LISTEN/NOTIFY between the controllers of one fleet: one dedicated
// connection listens (a pooled one would lose its LISTEN when returned), and
// comes back by itself after the server or the network drops it. A notification
// is only a wake-up: whoever is woken reads the store, and a periodic read covers
// what was sent while the connection was down (`onReconnect`).
import pg from 'pg';
import type { Logger } from 'pino';
import { redactUrl } from '../store/pg-db.ts';

/** NOTIFY payloads are at most 8000 bytes; lists are cut into parts under it. */
const MAX_PAYLOAD = 7900;

export class PgChannel {
  private client: pg.Client | undefined;
  private stopped = false;
  private readonly handlers = new Map<string, (payload: string) => void>();
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly o: { url: string; schema?: string; log: Logger; onReconnect?: () => void }) {}

  /** A channel name of this fleet (schema): several fleets on one database never hear each other. */
  name(topic: string): string {
    return `firebreak_${this.o.schema ?? 'public'}_${topic}`;
  }

  on(topic: string, fn: (payload: string) => void): void {
    this.handlers.set(this.name(topic), fn);
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const c = new pg.Client({ connectionString: this.o.url, keepAlive: true, connectionTimeoutMillis: 5000 });
    const lost = (why: string) => {
      if (this.client !== c) return;
      this.client = undefined;
      c.end().catch(() => {});
      if (this.stopped) return;
      this.o.log.warn({ why }, 'cluster: the notification connection to PostgreSQL dropped; reconnecting (periodic reads cover the gap)');
      this.retry = setTimeout(() => void this.connect().catch(() => {}), 1000);
      this.retry.unref();
    };
    c.on('error', (e) => lost(e.message));
    c.on('end', () => lost('connection ended'));
    c.on('notification', (n) => this.handlers.get(n.channel)?.(n.payload ?? ''));
    try {
      await c.connect();
      for (const ch of this.handlers.keys()) await c.query(`LISTEN ${ch}`);
    } catch (err) {
      c.end().catch(() => {});
      if (this.stopped) return;
      this.o.log.warn({ err: (err as Error).message, store: redactUrl(this.o.url) }, 'cluster: cannot listen for notifications yet; retrying in 1 s');
      this.retry = setTimeout(() => void this.connect().catch(() => {}), 1000);
      this.retry.unref();
      return;
    }
    this.client = c;
    this.o.onReconnect?.();
  }

  /** Sends `items` on a topic, joined by commas, in as many notifications as the payload limit needs. */
  static parts(items: readonly string[]): string[] {
    const out: string[] = [];
    let cur = '';
    for (const it of items) {
      if (cur && cur.length + 1 + it.length > MAX_PAYLOAD) { out.push(cur); cur = ''; }
      cur = cur ? `${cur},${it}` : it;
    }
    if (cur) out.push(cur);
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }
}
