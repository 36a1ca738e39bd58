/**
 * Bounded loopback fuzz of browser mode (issue 13): thousands of random malformed request lines,
 * headers, percent-escapes, WebSocket frames and messages, with and without the token, against a
 * server with a real engine worker behind it. Each case must end in a 4xx, an error result or a
 * closed socket, never a 5xx or an exception in this process (vitest fails the run on one); the
 * server must answer normally afterwards. Seeded, so a failure replays: FUZZ_SEED=<n>.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { METHOD_NAMES } from '../shared/contract.js';
import { decodeMessage, encodeMessage, type ServerMessage } from '../shared/wire.js';
import { startHostWorker, type HostConnection } from '../host/hostWorker.js';
import { startServer, type RunningServer } from './server.js';
import { closed, frame, prng, rawExchange, rawWebSocket, statusOf } from './testSupport.js';

const SEED = Number(process.env.FUZZ_SEED ?? 13);
const PER_KIND = 450; // five kinds: 2,250 cases
const PARALLEL = 16; // under the connection budget (64)

let conn: HostConnection;
let server: RunningServer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-fuzz-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  conn = await startHostWorker('browser');
  server = await startServer({ connection: conn, rendererDir: dir });
});
afterAll(async () => {
  await server?.close();
  await conn?.close();
});

const rnd = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (n: number) => Math.floor(rnd() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
const junk = (n: number) => bytes(n).toString('latin1');
const withToken = () => rnd() < 0.5;

function escapes(): string {
  const parts = [
    '%',
    '%E0',
    '%E0%A4',
    '%E0%A4%A',
    '%ZZ',
    '%00',
    '%2F',
    '%2e%2e',
    '..',
    '%C0%AF',
    '%FF',
    '%',
    'a',
    '/',
    '\\',
    '%25',
    '%u2215',
    '?',
    '#',
  ];
  return '/' + Array.from({ length: 1 + int(8) }, () => pick(parts)).join('');
}

function requestLine(): string {
  const method = pick(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'G\0T', junk(3), '']);
  const target = pick([
    'http://',
    'http://x/',
    '//evil/',
    '*',
    'evil.example:80',
    '',
    '/' + junk(int(40)),
    escapes(),
    '/ws',
    '/index.html',
    `/${'a'.repeat(int(20000))}`,
  ]);
  const version = pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/2', 'HTTP/9.9', 'HTTP/1.1 extra', '', junk(4)]);
  const tok = withToken() ? `${target.includes('?') ? '&' : '?'}token=${server.token}` : '';
  return `${method} ${target}${tok} ${version}\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`;
}

function headers(): string {
  const p = server.port;
  const lines = [
    `Host: ${pick([`127.0.0.1:${p}`, `localhost:${p}`, 'evil.example', '', junk(8), `127.0.0.1:${p}\r\nHost: evil`])}`,
    pick([
      'Content-Length: -1',
      'Content-Length: 99999999999999',
      'Content-Length: 5\r\nContent-Length: 6',
      'Transfer-Encoding: chunked, identity',
      'Transfer-Encoding: x',
    ]),
    pick([
      'Upgrade: websocket',
      'Upgrade: ' + junk(5),
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${junk(10)}`,
      'Sec-WebSocket-Version: 99',
    ]),
    pick([
      `X-NormScope-Token: ${server.token}`,
      `X-NormScope-Token: ${junk(20)}`,
      `Cookie: normscope_token=${server.token}`,
      `Origin: http://evil.example`,
    ]),
    pick([
      `${junk(6)}: ${junk(12)}`,
      `X-Big: ${'b'.repeat(int(40000))}`,
      ' folded: continuation',
      'NoColon',
      `${'h'.repeat(300)}: v`,
    ]),
  ];
  const chosen = lines.filter(() => rnd() < 0.7).join('\r\n');
  return `GET /${withToken() ? `?token=${server.token}` : ''} HTTP/1.1\r\n${chosen}\r\n\r\n${junk(int(30))}`;
}

function frames(): Buffer {
  const out: Buffer[] = [];
  for (let i = 0, n = 1 + int(4); i < n; i++) {
    const kind = int(6);
    if (kind === 0)
      out.push(bytes(1 + int(64))); // raw garbage
    else if (kind === 1)
      out.push(frame(pick([0, 1, 2, 3, 7, 8, 9, 10, 11, 15]), bytes(int(200)), rnd() < 0.8, rnd() < 0.7));
    else if (kind === 2)
      out.push(frame(1, Buffer.from([0xc3, 0x28, 0xff, 0xfe]))); // invalid UTF-8 text
    else if (kind === 3)
      out.push(frame(9, bytes(126 + int(200)))); // control frame over 125 bytes
    else if (kind === 4)
      out.push(Buffer.from([0x81, 0xff, ...bytes(8), ...bytes(4)])); // huge declared length
    else out.push(Buffer.from([0x81, 0x02, 0x68, 0x69])); // unmasked
  }
  return Buffer.concat(out);
}

function junkValue(depth: number): unknown {
  const k = int(depth > 3 ? 6 : 10);
  switch (k) {
    case 0:
      return int(1e6) - 5e5;
    case 1:
      return junk(int(20));
    case 2:
      return null;
    case 3:
      return rnd() < 0.5;
    case 4:
      return {
        $ta: pick(['Float32Array', 'constructor', '__proto__', 'toString', 'DataView', junk(4)]),
        b64: pick(['AAAA', 'AAA=', '!!', junk(6)]),
      };
    case 5:
      return { $num: pick(['NaN', 'Infinity', 'x']), ...(rnd() < 0.3 ? { y: 1 } : {}) };
    case 6:
      return Array.from({ length: int(4) }, () => junkValue(depth + 1));
    case 7:
      return { $big: pick(['1', '1'.repeat(200), 'x', '-0']) };
    default:
      return Object.fromEntries(
        Array.from({ length: int(4) }, () => [
          pick(['spec', 'path', 'layers', '__proto__', 'constructor', junk(3)]),
          junkValue(depth + 1),
        ]),
      );
  }
}

function message(): string {
  const kind = int(5);
  if (kind === 0) return junk(int(100)); // not JSON
  if (kind === 1) return '['.repeat(5000 + int(5000)); // deep nesting, unterminated
  if (kind === 2)
    return `{"t":"call","id":${pick(['1', '-1', '1e400', '"x"', 'null', '9007199254740993'])},"method":"app.info","payload":{}}`;
  const method =
    rnd() < 0.8 ? pick(METHOD_NAMES.filter((m) => !m.startsWith('ranks.') && m !== 'backend.bench')) : junk(8);
  return JSON.stringify({ t: pick(['call', 'call', 'result', junk(2)]), id: int(1000), method, payload: junkValue(0) });
}

/** Runs `cases` with at most PARALLEL at once. */
async function pool(cases: (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < cases.length) await cases[next++]!();
    }),
  );
}

const counts = { requestLines: 0, headers: 0, escapes: 0, frames: 0, messages: 0, statuses: new Map<string, number>() };
const tally = (text: string) => {
  const st = statusOf(text) || 'closed';
  counts.statuses.set(st, (counts.statuses.get(st) ?? 0) + 1);
  return st;
};

async function stillServes(): Promise<void> {
  expect((await fetch(server.url)).status).toBe(200);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const reply = new Promise<ServerMessage>((r) =>
    ws.once('message', (d) => r(decodeMessage<ServerMessage>(d.toString()))),
  );
  ws.send(encodeMessage({ t: 'call', id: 1, method: 'app.info', payload: {} }));
  expect(await reply).toMatchObject({ t: 'result', id: 1, ok: true, value: { runtime: 'browser' } });
  ws.close();
}

describe(`browser-mode fuzz (seed ${SEED})`, () => {
  it('request lines, headers and escapes end in a 4xx, a page or a close, never a 5xx', async () => {
    const http: (() => Promise<void>)[] = [];
    for (let i = 0; i < PER_KIND; i++) {
      const line = requestLine();
      http.push(async () => {
        expect(tally(await rawExchange(server.port, line, { halfClose: true }))).not.toMatch(/^5/);
        counts.requestLines++;
      });
      const head = headers();
      http.push(async () => {
        expect(tally(await rawExchange(server.port, head, { halfClose: true }))).not.toMatch(/^5/);
        counts.headers++;
      });
      const esc = `GET ${escapes()}${withToken() ? `?token=${server.token}` : ''} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`;
      http.push(async () => {
        expect(tally(await rawExchange(server.port, esc))).toMatch(/^(200|400|403|404|closed)$/);
        counts.escapes++;
      });
    }
    await pool(http);
    await stillServes();
  }, 240_000);

  it('frames and messages end in an error result or that socket closing', async () => {
    const ws: (() => Promise<void>)[] = [];
    for (let i = 0; i < PER_KIND; i++) {
      const tok = withToken() ? server.token : 'wrong';
      const f = frames();
      ws.push(async () => {
        try {
          const s = await rawWebSocket(server.port, `/ws?token=${tok}`);
          s.on('error', () => undefined);
          s.write(f);
          s.end();
          await closed(s);
        } catch (e) {
          expect(tok).toBe('wrong');
          expect(String(e)).toContain('403');
        }
        counts.frames++;
      });
      const m = message();
      const mtok = withToken() ? server.token : 'wrong';
      ws.push(async () => {
        const c = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${mtok}`, { maxPayload: 1 << 24 });
        const outcome = await new Promise<string>((resolve) => {
          const t = setTimeout(() => resolve('timeout'), 10_000);
          const end = (why: string) => {
            clearTimeout(t);
            resolve(why);
          };
          c.on('error', () => end('error'));
          c.on('unexpected-response', (_q, res) => end(`http ${res.statusCode}`));
          c.on('open', () => c.send(m));
          c.on('message', (d) => {
            const r = decodeMessage<ServerMessage>(d.toString());
            if (r.t === 'result') end(r.ok ? 'ok' : `error ${r.error.name}`);
          });
          c.on('close', () => end('closed'));
        });
        c.terminate();
        if (mtok === 'wrong') expect(outcome).toBe('http 403');
        else expect(outcome).toMatch(/^(ok|error \w+|closed)$/);
        counts.messages++;
      });
    }
    await pool(ws);
    await stillServes();
  }, 240_000);

  it('ran at least 2,000 cases in all', () => {
    const total = counts.requestLines + counts.headers + counts.escapes + counts.frames + counts.messages;
    console.log(
      `fuzz seed ${SEED}: ${JSON.stringify({ ...counts, statuses: Object.fromEntries(counts.statuses), total })}`,
    );
    expect(total).toBeGreaterThanOrEqual(2000);
  });
});
