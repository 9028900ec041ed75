// The web dashboard's server: its own HTTPS listener (a certificate from the
// controller's CA), the static page from dashboard/dist/, and a JSON API that
// calls the Operator RPCs in process with the session's operator token.
//
// Sessions: POST /api/login with an operator token sets an HttpOnly, Secure,
// SameSite=Strict cookie; the session keeps the token in memory only and presents
// it on every call, so the operator API decides, and audits, every time.
// CSRF: every non-GET needs a JSON body, the session's X-CSRF-Token, and an Origin
// (when sent) equal to this dashboard's own. Strict CSP, no inline script.
import { createReadStream, existsSync, realpathSync, statSync, type Stats } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { OperatorHandlers } from '../../proto/wire.ts';
import { invokeOperator, OperatorCallError, type guardFactory, type Operator } from '../operator-rpc.ts';
import * as grpc from '@grpc/grpc-js';
import { findRoute, HttpError, httpErrorOf, type ApiCaller } from './api.ts';
import { CHANGE_KINDS, type ChangeFeed, type ChangeKind, type Change } from './changes.ts';
import type { LastAnomalies } from './last-anomaly.ts';
import { looksLikeToken, OPERATOR_TOKEN_PREFIX } from '../trust/tokens.ts';
import { LoginThrottle, sameSecret, SESSION_ABSOLUTE_MS, SESSION_COOKIE, sessionCookie, Sessions, type Session } from './sessions.ts';

export interface DashboardLimits {
  /** connections open at once; more are refused at accept */
  maxConnections: number;
  /** connections open at once from one address */
  maxPerSource: number;
  /** request body; a larger one is answered 413 */
  maxBodyBytes: number;
  /** all request headers together; larger is answered 431 by Node */
  maxHeaderBytes: number;
  /** the whole request (headers and body) must arrive within this */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  /** the TLS handshake must finish within this */
  handshakeTimeoutMs: number;
  /** an idle keep-alive connection is closed after this */
  keepAliveTimeoutMs: number;
  /** live-update streams per session and in all */
  maxStreamsPerSession: number;
  maxStreams: number;
  /** a comment on every stream this often, so proxies and browsers keep it */
  streamKeepaliveMs: number;
  /** bytes a stream may have waiting for a client that does not read; past it the stream is closed (the page reconnects) */
  maxStreamBacklogBytes: number;
}

export const DASHBOARD_LIMITS: DashboardLimits = {
  maxConnections: 128,
  maxPerSource: 32,
  maxBodyBytes: 64 * 1024,
  maxHeaderBytes: 16 * 1024,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxStreamsPerSession: 4,
  maxStreams: 64,
  streamKeepaliveMs: 15_000,
  maxStreamBacklogBytes: 256 * 1024,
};

/** On every response: nothing but our own files runs, nothing frames us, nothing leaks the URL. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.map': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff', '.txt': 'text/plain; charset=utf-8',
};

/** dashboard/dist of this checkout, where `npm run build:dashboard` writes the page */
export const DEFAULT_DIST_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

export const NOT_BUILT = 'dashboard not built: run npm run build:dashboard (npm ci runs it through the prepare hook), then reload\n';

export interface DashboardOptions {
  /** host:port; port 0 picks one */
  listen: string;
  tls: { keyPem: string; certChainPem: string };
  /** the operator API's handlers: every /api call goes through them */
  handlers: OperatorHandlers;
  /** the operator API's gate, for dry runs (same role check and audited refusal) */
  guard: ReturnType<typeof guardFactory>;
  /** the built page: index.html, app.js, app.css, ... */
  distDir: string;
  changes: ChangeFeed;
  /** each host's last anomaly, kept by the controller as events are stored */
  lastAnomalies: LastAnomalies;
  log: Logger;
  now?: () => number;
  limits?: Partial<DashboardLimits>;
  /** told of each connection refused (full, per_source, tls_error): the controller counts them in its metrics */
  onRejected?: (reason: string) => void;
}

interface Stream {
  res: ServerResponse;
  session: Session;
  /** the browser's address, for the audit of a refused re-check */
  peer: string;
}

export class DashboardServer {
  readonly limits: DashboardLimits;
  readonly sessions: Sessions;
  private readonly throttle: LoginThrottle;
  private server: Server | undefined;
  private readonly perSource = new Map<string, number>();
  private readonly streams = new Set<Stream>();
  /** when each streaming session's token was last checked */
  private readonly checkedAt = new WeakMap<Session, number>();
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private readonly now: () => number;
  private readonly distDir: string;
  private realDist: string | undefined;
  port = 0;

  constructor(private readonly o: DashboardOptions) {
    this.limits = { ...DASHBOARD_LIMITS, ...o.limits };
    this.now = o.now ?? Date.now;
    this.sessions = new Sessions(this.now);
    this.throttle = new LoginThrottle(10, 5 * 60_000, this.now);
    this.distDir = resolve(o.distDir);
  }

  /** Listens; resolves with the port. */
  listen(): Promise<number> {
    const m = /^(.*):(\d+)$/.exec(this.o.listen);
    if (!m) return Promise.reject(new Error(`--dashboard-listen '${this.o.listen}' is not HOST:PORT, e.g. 127.0.0.1:7446`));
    const host = m[1]!.replace(/^\[|\]$/g, '');
    const L = this.limits;
    const server = createServer({
      key: this.o.tls.keyPem, cert: this.o.tls.certChainPem, minVersion: 'TLSv1.2',
      maxHeaderSize: L.maxHeaderBytes, handshakeTimeout: L.handshakeTimeoutMs, requestTimeout: L.requestTimeoutMs,
      headersTimeout: L.headersTimeoutMs, keepAliveTimeout: L.keepAliveTimeoutMs,
    }, (req, res) => this.handle(req, res));
    server.maxConnections = L.maxConnections;
    server.on('connection', (s: Socket) => this.admit(s));
    server.on('tlsClientError', (_err, s) => { this.o.onRejected?.('tls_error'); s.destroy(); });
    // Node drops connections past maxConnections itself and says so here
    server.on('drop', () => this.o.onRejected?.('full'));
    this.server = server;
    this.unsubscribe = this.o.changes.subscribe((kind, change) => this.broadcast(kind, change));
    this.timers.push(setInterval(() => this.keepalive(), L.streamKeepaliveMs), setInterval(() => this.sessions.sweep(), 60_000));
    for (const t of this.timers) t.unref();
    return new Promise((resolveListen, reject) => {
      server.once('error', (err) => reject(new Error(`cannot listen for the dashboard on ${this.o.listen}: ${err.message}`)));
      server.listen(Number(m[2]), host, () => {
        const a = server.address();
        this.port = typeof a === 'object' && a ? a.port : Number(m[2]);
        resolveListen(this.port);
      });
    });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe?.();
    this.sessions.endAll();
    for (const s of this.streams) s.res.end();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  }

  /** One address may hold maxPerSource connections; the server's maxConnections caps the rest. */
  private admit(s: Socket): void {
    const addr = s.remoteAddress ?? '?';
    const n = (this.perSource.get(addr) ?? 0) + 1;
    if (n > this.limits.maxPerSource) {
      this.o.onRejected?.('per_source');
      s.destroy();
      return;
    }
    this.perSource.set(addr, n);
    s.once('close', () => {
      const left = (this.perSource.get(addr) ?? 1) - 1;
      if (left <= 0) this.perSource.delete(addr);
      else this.perSource.set(addr, left);
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const raw = req.url ?? '/';
    const path = raw.split('?')[0]!;
    const api = path === '/api' || path.startsWith('/api/');
    const done = (p: Promise<void>) => p.catch((err) => {
      this.o.log.error({ err, path }, 'dashboard request failed');
      if (!res.headersSent) this.json(res, 500, { error: `dashboard error: ${(err as Error).message}` });
      else res.destroy();
    });
    if (api) {
      res.setHeader('Cache-Control', 'no-store');
      done(this.api(req, res, path, new URLSearchParams(raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '')));
    } else {
      done(this.static(req, res, path));
    }
  }

  // ---------------------------------------------------------------- static files

  private async static(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('only GET and HEAD are served outside /api\n');
      return;
    }
    let path: string;
    try { path = decodeURIComponent(rawPath); } catch { path = '\0'; }
    // no way out of the dist dir: no '..' segment, no backslash, no NUL (checked on the raw path, before any normalising)
    if (path.includes('\0') || path.includes('\\') || path.split('/').includes('..')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const file = resolve(this.distDir, '.' + path);
    if (file !== this.distDir && !file.startsWith(this.distDir + sep)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const st = statOrNull(file);
    // a symlink in dist/ must not lead out of it either
    if (st?.isFile() && !inside(this.realDist ??= realpathOrSelf(this.distDir), realpathOrSelf(file))) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (st?.isFile()) return this.sendFile(req, res, file, st.size, path.startsWith('/assets/') ? 'public, max-age=3600' : 'no-cache');
    // a path with a file extension that is not there is a missing file; anything else is a page of the app
    if (extname(path) && path !== '/index.html') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const index = join(this.distDir, 'index.html');
    const ist = statOrNull(index);
    if (!ist?.isFile()) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(NOT_BUILT);
      return;
    }
    return this.sendFile(req, res, index, ist.size, 'no-cache');
  }

  private sendFile(req: IncomingMessage, res: ServerResponse, file: string, size: number, cache: string): Promise<void> {
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': size, 'Cache-Control': cache });
    if (req.method === 'HEAD') { res.end(); return Promise.resolve(); }
    return new Promise((done) => {
      const s = createReadStream(file);
      s.on('error', () => { res.destroy(); done(); });
      s.on('end', () => done());
      s.pipe(res);
    });
  }

  // ---------------------------------------------------------------- the API

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers }).end(text);
  }

  private peer(req: IncomingMessage): string {
    const a = req.socket.remoteAddress ?? 'unknown';
    return a.includes(':') ? `[${a}]:${req.socket.remotePort}` : `${a}:${req.socket.remotePort}`;
  }

  /** Calls as this session's operator; a refused token ends the session at once. */
  private caller(session: Session, peer: string): ApiCaller {
    const ctx = { authorization: `Bearer ${session.token}`, peer };
    const watch = <T>(p: Promise<T>): Promise<T> => p.catch((err: unknown) => {
      if (err instanceof OperatorCallError && err.code === grpc.status.UNAUTHENTICATED) this.sessions.end(session);
      throw err;
    });
    return {
      call: <T>(rpc: string, request: object) => watch(invokeOperator(this.o.handlers, rpc as keyof OperatorHandlers & string, request, ctx) as Promise<T>),
      guarded: <T>(rpc: string, fn: (op: Operator) => Promise<T>) => watch(this.o.guard(rpc, ctx, fn)),
      now: this.now,
      lastAnomalies: this.o.lastAnomalies,
    };
  }

  private async api(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const peer = this.peer(req);
    try {
      if (method !== 'GET' && method !== 'HEAD') {
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > this.limits.maxBodyBytes) throw this.tooLarge(req);
      }
      if (path === '/api/login') {
        if (method !== 'POST') throw new HttpError(405, 'POST /api/login {"token": "fbo_..."}');
        return await this.login(req, res, peer);
      }
      const session = this.sessions.get(sessionCookie(req.headers.cookie));
      if (!session) throw new HttpError(401, 'not logged in, or the session ended: log in with an operator token (POST /api/login)');
      if (method !== 'GET' && method !== 'HEAD') this.checkCsrf(req, session);
      const api = this.caller(session, peer);
      if (path === '/api/logout') {
        if (method !== 'POST') throw new HttpError(405, 'POST /api/logout');
        this.sessions.end(session);
        return this.json(res, 200, {}, { 'Set-Cookie': `${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0` });
      }
      if (path === '/api/me') {
        if (method !== 'GET') throw new HttpError(405, 'GET /api/me');
        const me = await api.call<{ name: string; role: string }>('WhoAmI', {});
        return this.json(res, 200, { name: me.name, role: me.role, csrf: session.csrf });
      }
      if (path === '/api/events') {
        if (method !== 'GET') throw new HttpError(405, 'GET /api/events');
        await api.call('WhoAmI', {});
        return this.openStream(req, res, session, peer);
      }
      const found = findRoute(method === 'HEAD' ? 'GET' : method, path);
      if ('status' in found) throw new HttpError(found.status, found.status === 404 ? `no API at ${method} ${path}` : `${method} is not allowed on ${path}`);
      const body = method === 'POST' ? await this.readJson(req) : {};
      return this.json(res, 200, await found.route.run(api, found.params, body, query));
    } catch (err) {
      const e = httpErrorOf(err);
      if (e.status >= 500 && !(err instanceof OperatorCallError)) this.o.log.error({ err, path, method }, `dashboard call failed: ${e.message}`);
      else if (e.status >= 500) this.o.log.error({ path, method }, `dashboard call failed: ${e.message}`);
      this.json(res, e.status, { error: e.message }, e.headers);
      if (e.status === 413) res.once('finish', () => req.destroy());
    }
  }

  private tooLarge(req: IncomingMessage): HttpError {
    return new HttpError(413, `the request body is larger than ${this.limits.maxBodyBytes} bytes (${req.headers['content-length'] ?? 'more'}); dashboard requests are small JSON`, { Connection: 'close' });
  }

  /** A same-site request from this dashboard's own page, never a form or another site's script. */
  private checkCsrf(req: IncomingMessage, session: Session | undefined): void {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new HttpError(403, `refused (CSRF check): Content-Type must be application/json, not ${JSON.stringify(type || '(none)')}`);
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const own = `https://${req.headers.host ?? ''}`;
      if (origin !== own) throw new HttpError(403, `refused (CSRF check): Origin ${JSON.stringify(origin)} is not this dashboard's own (${own})`);
    }
    if (session) {
      const token = req.headers['x-csrf-token'];
      if (typeof token !== 'string' || !token) throw new HttpError(403, 'refused (CSRF check): the X-CSRF-Token header is missing (the page takes it from /api/me)');
      if (!sameSecret(token, session.csrf)) throw new HttpError(403, 'refused (CSRF check): X-CSRF-Token does not match this session (reload the page)');
    }
  }

  private readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const max = this.limits.maxBodyBytes;
    return new Promise((resolveBody, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (c: Buffer) => {
        if (over) return;
        size += c.length;
        if (size > max) { over = true; reject(this.tooLarge(req)); return; }
        chunks.push(c);
      });
      req.on('error', reject);
      req.on('end', () => {
        if (over) return;
        const text = Buffer.concat(chunks).toString('utf8');
        if (!text.trim()) return resolveBody({});
        try {
          const v = JSON.parse(text) as unknown;
          if (typeof v !== 'object' || v === null || Array.isArray(v)) return reject(new HttpError(400, 'the request body must be a JSON object'));
          resolveBody(v as Record<string, unknown>);
        } catch (err) {
          reject(new HttpError(400, `the request body is not JSON: ${(err as Error).message}`));
        }
      });
    });
  }

  private async login(req: IncomingMessage, res: ServerResponse, peer: string): Promise<void> {
    this.checkCsrf(req, undefined);
    const address = req.socket.remoteAddress ?? 'unknown';
    const wait = this.throttle.retryAfterMs(address);
    if (wait > 0) {
      throw new HttpError(429, `too many failed logins from ${address}: try again in ${Math.ceil(wait / 1000)} s`, { 'Retry-After': String(Math.ceil(wait / 1000)) });
    }
    const body = await this.readJson(req);
    const token = body.token;
    if (typeof token !== 'string' || !token) throw new HttpError(400, 'token is missing: paste an operator token (fbo_...; the CLI\'s credential file holds one)');
    let me: { name: string; role: string };
    try {
      // the operator API judges the token (and audits a refusal, counted per address and minute)
      me = await invokeOperator(this.o.handlers, 'WhoAmI', {}, { authorization: `Bearer ${token.trim()}`, peer }) as { name: string; role: string };
    } catch (err) {
      if (err instanceof OperatorCallError && err.code === grpc.status.UNAUTHENTICATED) {
        this.throttle.fail(address);
        // the API's message for a malformed token speaks of the CLI's credential file
        const why = looksLikeToken(token.trim(), OPERATOR_TOKEN_PREFIX) ? err.details : 'that is not an operator token (fbo_ and 43 more characters: the "token" of a credential file)';
        throw new HttpError(401, `login refused: ${why}`);
      }
      throw err;
    }
    this.throttle.succeed(address);
    // a cookie sent with the login belongs to a session that ends here: one browser, one session
    const old = this.sessions.get(sessionCookie(req.headers.cookie));
    if (old) this.sessions.end(old);
    const { cookie, session } = this.sessions.create(token.trim(), me);
    this.o.log.info({ operator: me.name, role: me.role, peer }, 'dashboard login');
    this.json(res, 200, { name: me.name, role: me.role, csrf: session.csrf }, {
      'Set-Cookie': `${SESSION_COOKIE}=${cookie}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=${SESSION_ABSOLUTE_MS / 1000}`,
    });
  }

  // ---------------------------------------------------------------- live updates (server-sent events)

  private openStream(req: IncomingMessage, res: ServerResponse, session: Session, peer: string): void {
    const mine = [...this.streams].filter((s) => s.session === session).length;
    if (mine >= this.limits.maxStreamsPerSession) throw new HttpError(429, `this session has ${mine} live-update streams open; at most ${this.limits.maxStreamsPerSession} (close other tabs)`);
    if (this.streams.size >= this.limits.maxStreams) throw new HttpError(429, `the dashboard serves ${this.streams.size} live-update streams, its limit: try again later`);
    const stream: Stream = { res, session, peer };
    this.streams.add(stream);
    const gone = () => { this.streams.delete(stream); session.onEnd.delete(end); };
    const end = () => { gone(); res.end(); };
    session.onEnd.add(end);
    res.once('close', gone);
    // a stream lives as long as it is wanted, not the request timeout
    req.socket.setTimeout(0);
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write(`retry: 3000\n: kinds ${CHANGE_KINDS.join(' ')}\n\n`);
  }

  /**
   * Sends one change to every stream whose session still stands. The token is checked again
   * first: on every audit event (removing or rotating an operator is audited, so their streams
   * end with that change rather than at the next keepalive), else when the last check of that
   * session is over a second old (a fleet-wide burst costs one check per session and second).
   */
  private broadcast(kind: ChangeKind, change: Change): void {
    if (this.streams.size === 0) return;
    const line = `event: ${kind}\ndata: ${JSON.stringify(change)}\n\n`;
    void this.checkSessions(kind === 'audit' ? 0 : 1000).then(() => {
      for (const s of this.streams) this.write(s, line);
    });
  }

  private write(s: Stream, text: string): void {
    if (s.res.writableEnded) return;
    if (s.res.writableLength > this.limits.maxStreamBacklogBytes) {
      s.res.destroy();
      return;
    }
    s.res.write(text);
  }

  private keepalive(): void {
    this.sessions.sweep();
    void this.checkSessions().then(() => {
      for (const s of this.streams) this.write(s, ': keepalive\n\n');
    });
  }

  /** Ends the sessions (and their streams) whose operator token is no longer accepted; skips those checked within maxAgeMs. */
  private async checkSessions(maxAgeMs = 0): Promise<void> {
    const t = this.now();
    const sessions = new Map([...this.streams].filter((s) => t - (this.checkedAt.get(s.session) ?? 0) >= maxAgeMs).map((s) => [s.session, s.peer]));
    await Promise.all([...sessions].map(([session, peer]) => {
      this.checkedAt.set(session, t);
      return this.caller(session, peer).call('WhoAmI', {}).then(() => {}, () => { /* refused: caller() ended it */ });
    }));
  }
}

function realpathOrSelf(p: string): string {
  try { return realpathSync(p); } catch { return p; }
}

const inside = (dir: string, file: string) => file.startsWith(dir + sep);

function statOrNull(file: string): Stats | undefined {
  try {
    return existsSync(file) ? statSync(file) : undefined;
  } catch {
    return undefined;
  }
}
