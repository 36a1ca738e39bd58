/**
 * Browser mode: serves the built renderer and the contract over WebSocket on 127.0.0.1 only.
 * A random token (in the URL printed at start) guards both: HTTP requests need it in the query or in
 * the HttpOnly cookie set when the page first loads with it; the socket needs it in its URL and an
 * Origin of this server (or none, for non-browser clients that hold the token).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { contentSecurityPolicy } from '../shared/csp.js';
import { decodeMessage, encodeMessage, type ClientMessage } from '../shared/wire.js';
import type { HostConnection } from '../host/hostWorker.js';

export interface ServerOptions {
  connection: HostConnection;
  rendererDir: string;
  port?: number;
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const COOKIE = 'normscope_token';

export function tokensEqual(a: string | null | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return null;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = normalize(opts.rendererDir);
  let port = opts.port ?? 0;

  const send = (
    res: ServerResponse,
    code: number,
    body: string | Buffer,
    type = 'text/plain; charset=utf-8',
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(code, {
      'Content-Type': type,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };

  const http = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      const given = url.searchParams.get('token');
      const viaQuery = tokensEqual(given, token);
      if (!viaQuery && !tokensEqual(cookieToken(req), token))
        return send(res, 403, 'NormScope: missing or wrong token. Open the URL printed by `normscope serve`.\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
      const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
      const file = normalize(join(root, rel));
      if (file !== root && !file.startsWith(root + sep)) return send(res, 404, 'not found\n');
      try {
        const st = await stat(file);
        if (!st.isFile()) return send(res, 404, 'not found\n');
        const body = await readFile(file);
        const extra: Record<string, string> = {};
        if (extname(file) === '.html') {
          extra['Content-Security-Policy'] = contentSecurityPolicy([`ws://127.0.0.1:${port}`]);
          extra['X-Frame-Options'] = 'DENY';
          if (viaQuery) extra['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
        }
        send(res, 200, body, TYPES[extname(file)] ?? 'application/octet-stream', extra);
      } catch {
        send(res, 404, 'not found\n');
      }
    })();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const clients = new Set<WebSocket>();
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const origin = req.headers.origin;
    const originOk =
      origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== '/ws' || !tokensEqual(url.searchParams.get('token'), token) || !originOk) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data) => {
        let msg: ClientMessage;
        try {
          msg = decodeMessage<ClientMessage>(data.toString());
        } catch {
          ws.send(
            encodeMessage({
              t: 'result',
              id: -1,
              ok: false,
              error: { name: 'PayloadError', message: 'malformed message' },
            }),
          );
          return;
        }
        if (msg?.t !== 'call' || typeof msg.id !== 'number') return;
        void opts.connection.request(msg.method, msg.payload).then((out) => {
          if (ws.readyState === ws.OPEN) ws.send(encodeMessage({ t: 'result', id: msg.id, ...out } as never));
        });
      });
    });
  });

  const unsubscribe = opts.connection.onEvent((event, payload) => {
    const text = encodeMessage({ t: 'event', event, payload });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = http.address();
  port = typeof addr === 'object' && addr ? addr.port : port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
