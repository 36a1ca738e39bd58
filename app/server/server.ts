/**
 * Browser mode: serves the built renderer and the contract over WebSocket on 127.0.0.1 only.
 *
 * A random token (in the URL printed at start) guards the page (any .html) and the socket; the
 * renderer's scripts, styles and images are not secret and load without it. No cookie carries the
 * token (cookies ignore ports, so any other listener on 127.0.0.1 would receive it): the window keeps
 * it in sessionStorage and sends it in the socket URL. Requests must name this server in Host
 * (127.0.0.1, localhost or [::1] with its port: DNS rebinding defence) and sockets must come from one
 * of those origins (or none, for non-browser clients that hold the token).
 *
 * Hostile input: every parse of what a client sends (request line, target, escapes, headers,
 * frames, messages) ends in a 4xx, an error result or that socket's close; nothing a client sends
 * throws into the process. Budgets (limits.ts) bound connections, message size and calls in flight.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { contentTypeOf } from '../shared/contentTypes.js';
import { encodeMessage, TOKEN_CHECK_PATH } from '../shared/wire.js';
import type { HostConnection } from '../host/hostWorker.js';
import { DEFAULT_LIMITS, limitMessages, type ServerLimits } from './limits.js';
import { pageHeaders, RETRY_SCRIPT, RETRY_SCRIPT_PATH, TOKEN_PAGE, TOKEN_PAGE_CSP } from './pages.js';
import { hostAllowed, originAllowed, parseTarget, requestToken, tokensEqual, type Target } from './requestGuard.js';
import { confineCall } from './rootConfine.js';
import { sendText, serveSocket } from './socketSession.js';
import { createUploads } from './upload.js';

export { tokensEqual } from './requestGuard.js';

/**
 * An extra HTTP route (e.g. a file upload). It runs only for requests that passed the Host check and
 * carry the token (?token= or the X-NormScope-Token header); it must bound what it reads itself.
 */
export interface HttpRoute {
  method: string;
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, ctx: { root: string | null; limits: ServerLimits }): Promise<void>;
}

export interface ServerOptions {
  connection: HostConnection;
  rendererDir: string;
  port?: number;
  token?: string;
  /** Budgets (defaults: DEFAULT_LIMITS). */
  limits?: Partial<Omit<ServerLimits, 'stack'>>;
  /** `--root`: the resolved folder every open and save must lie in (null: the user's whole filesystem). */
  root?: string | null;
  routes?: readonly HttpRoute[];
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const BASE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** A plain response written straight to a socket (before or instead of the HTTP machinery), then closed. */
function rawRefusal(socket: Duplex, status: string, body: string): void {
  if (!socket.writable) return void socket.destroy();
  // Destroyed once flushed: a client that keeps its half open gets no further reads from us.
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits, stack: DEFAULT_LIMITS.stack };
  const rendererRoot = normalize(opts.rendererDir);
  const fileRoot = opts.root ?? null;
  // Browser mode's file upload (the window's picker and drops); its routes pass the token check below.
  const uploads = createUploads({ maxBytes: limits.maxUploadBytes });
  const routes = [...(opts.routes ?? []), ...uploads.routes];
  let port = opts.port ?? 0;

  const send = (
    res: ServerResponse,
    code: number,
    body: string | Buffer,
    type = 'text/plain; charset=utf-8',
    extra = {},
  ) => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(code, { 'Content-Type': type, ...BASE_HEADERS, ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const tokenPage = (res: ServerResponse) =>
    send(res, 403, TOKEN_PAGE, contentTypeOf('.html'), {
      'Content-Security-Policy': TOKEN_PAGE_CSP,
      'X-Frame-Options': 'DENY',
    });

  async function serveStatic(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'method not allowed\n', undefined, { Allow: 'GET, HEAD' });
    if (target.path === RETRY_SCRIPT_PATH) return send(res, 200, RETRY_SCRIPT, contentTypeOf('.js'));
    if (target.path === TOKEN_CHECK_PATH)
      return tokensEqual(requestToken(target, req.headers), token)
        ? send(res, 204, '')
        : send(res, 403, 'missing or wrong token\n');
    const rel = target.path === '/' ? 'index.html' : target.path.slice(1);
    const file = normalize(join(rendererRoot, rel));
    if (file !== rendererRoot && !file.startsWith(rendererRoot + sep)) return send(res, 404, 'not found\n');
    const isPage = extname(file) === '.html';
    if (isPage && !tokensEqual(requestToken(target, req.headers), token)) return tokenPage(res);
    let body: Buffer;
    try {
      const st = await stat(file);
      if (!st.isFile()) return send(res, 404, 'not found\n');
      body = await readFile(file);
    } catch {
      return send(res, 404, 'not found\n');
    }
    send(res, 200, body, contentTypeOf(extname(file)), isPage ? pageHeaders(String(req.headers.host)) : {});
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, port))
      return send(res, 421, 'NormScope: this server answers only to 127.0.0.1, localhost or [::1] with its port\n');
    const target = parseTarget(req.url);
    if (!target) return send(res, 400, 'bad request target\n');
    const route = routes.find((r) => r.path === target.path);
    if (route) {
      if (!tokensEqual(requestToken(target, req.headers), token)) return tokenPage(res);
      if (req.method !== route.method)
        return send(res, 405, 'method not allowed\n', undefined, { Allow: route.method });
      return route.handle(req, res, { root: fileRoot, limits });
    }
    return serveStatic(req, res, target);
  }

  const http = createServer(
    { maxHeaderSize: 16 * 1024, requestTimeout: 60_000, headersTimeout: 20_000 },
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) send(res, 500, 'internal error\n');
        else res.destroy();
      });
    },
  );
  // Malformed request lines and headers (Node's parser refuses them): 400, and close that socket only.
  http.on('clientError', (_err, socket) => rawRefusal(socket, '400 Bad Request', 'bad request\n'));

  // Connection budget, counted on the TCP socket (HTTP keep-alive and upgraded WebSockets alike).
  const sockets = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    if (sockets.size >= limits.maxConnections) {
      rawRefusal(socket, '503 Service Unavailable', `${limitMessages.connections(limits.maxConnections)}\n`);
      socket.on('error', () => socket.destroy());
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const clients = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, perMessageDeflate: false });
  const gate = fileRoot ? (method: string, payload: unknown) => confineCall(fileRoot, method, payload) : undefined;
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      const target = parseTarget(req.url);
      if (!hostAllowed(req.headers.host, port) || !target || target.path !== '/ws') {
        return rawRefusal(socket, '400 Bad Request', 'bad request\n');
      }
      if (!originAllowed(req.headers.origin, port) || !tokensEqual(target.query.get('token'), token)) {
        return rawRefusal(socket, '403 Forbidden', 'NormScope: missing or wrong token, or another origin\n');
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        clients.add(ws);
        ws.on('close', () => clients.delete(ws));
        serveSocket(ws, { connection: opts.connection, maxInFlight: limits.maxInFlight, gate });
      });
    } catch {
      socket.destroy();
    }
  });

  const unsubscribe = opts.connection.onEvent((event, payload) => {
    let text: string;
    try {
      text = encodeMessage({ t: 'event', event, payload });
    } catch {
      return; // a payload the wire cannot carry reaches no one rather than throwing here
    }
    for (const ws of clients) sendText(ws, text);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    // A deep accept queue: a burst of connections is answered (refused past the budget) instead of waiting on SYN retries.
    http.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  const addr = http.address();
  port = typeof addr === 'object' && addr ? addr.port : port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      uploads.close();
      for (const ws of clients) ws.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
