// A small HTTPS client for the dashboard tests: the controller's CA pinned (no
// public roots), a session cookie kept like a browser keeps it, raw requests when
// a test needs to send what a browser would not.
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Controller } from '../../controller/controller.ts';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

export interface Sent {
  method?: string;
  body?: unknown;
  /** a raw body (sent as is, with the given content type) */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export class DashboardClient {
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(readonly c: Controller) {}

  get origin(): string {
    return `https://127.0.0.1:${this.c.dashboardPort}`;
  }

  send(path: string, o: Sent = {}): Promise<Answer> {
    const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = `fb_session=${this.cookie}`;
    if (this.csrf && (o.method ?? 'GET') !== 'GET') headers['x-csrf-token'] = this.csrf;
    Object.assign(headers, o.headers);
    for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: this.c.dashboardPort, path, method: o.method ?? 'GET', headers,
        ca: this.c.trust.caCertPem, servername: 'localhost', agent: false, timeout: 10_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try { json = JSON.parse(text); } catch { json = undefined; }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${path}: no answer in 10 s`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  get(path: string): Promise<Answer> {
    return this.send(path);
  }

  post(path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Answer> {
    return this.send(path, { method: 'POST', body, headers });
  }

  /** Logs in; keeps the cookie and the CSRF token as the page would. */
  async login(token: string): Promise<Answer> {
    const a = await this.send('/api/login', { method: 'POST', body: { token } });
    const set = ([] as string[]).concat(a.headers['set-cookie'] ?? []);
    const m = set.map((s) => /^fb_session=([^;]*)/.exec(s)).find(Boolean);
    if (a.status === 200 && m) {
      this.cookie = m[1];
      this.csrf = (a.json as { csrf: string }).csrf;
    }
    return a;
  }

  /** Opens /api/events and collects the events it delivers. */
  events(): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: this.c.dashboardPort, path: '/api/events', method: 'GET',
        headers: { cookie: `fb_session=${this.cookie}`, accept: 'text/event-stream' },
        ca: this.c.trust.caCertPem, servername: 'localhost', agent: false,
      }, (res) => {
        const stream: EventStream = { status: res.statusCode ?? 0, openedAtMs: Date.now(), events: [], ended: false, close: () => req.destroy() };
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (ev) stream.events.push({ event: ev, data: data ? JSON.parse(data) : undefined, atMs: Date.now() });
          }
        });
        res.on('end', () => { stream.ended = true; });
        res.on('close', () => { stream.ended = true; });
        res.on('error', () => { stream.ended = true; });
        resolve(stream);
      });
      req.on('error', reject);
      req.end();
    });
  }
}

export interface EventStream {
  status: number;
  openedAtMs: number;
  events: { event: string; data: any; atMs: number }[];
  ended: boolean;
  close(): void;
}
