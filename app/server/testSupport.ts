/**
 * Raw-socket helpers for the server's hostile-input tests: send bytes exactly as given (no client
 * library fixing them up) and collect what comes back until the server closes, bounded in time.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * Sends `data` and resolves with everything received once the socket closes (or after `maxMs`).
 * `halfClose` ends our side after writing, so an incomplete request does not wait for the server's
 * header timeout (a half-closed client gets no answers the server writes later, by design of net).
 */
export function rawExchange(
  port: number,
  data: Buffer | string,
  o: { maxMs?: number; halfClose?: boolean } = {},
): Promise<string> {
  const maxMs = o.maxMs ?? 5000;
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(() => s.destroy(), maxMs);
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', done);
    s.on('connect', () => {
      s.write(data);
      if (o.halfClose) s.end();
    });
  });
}

/** The status code of the first response line ("" when the server closed without one). */
export const statusOf = (text: string): string => /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? '';

/** Completes a WebSocket handshake on a raw socket (so the test can then write any frame bytes). */
export function rawWebSocket(port: number, path: string, extraHeaders = ''): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const s = net.connect(port, '127.0.0.1');
    let head = '';
    s.on('error', reject);
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData);
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) {
        s.destroy();
        reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
      } else resolve(s);
    };
    s.on('data', onData);
    s.on('connect', () =>
      s.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`,
      ),
    );
  });
}

/** A client frame: masked (as clients must) unless `mask` is false. */
export function frame(opcode: number, payload: Buffer, mask = true, fin = true): Buffer {
  const len = payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 255);
  else {
    head.push(m | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Resolves when the socket closes (bounded by `maxMs`, after which it is destroyed). */
export function closed(s: net.Socket, maxMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve();
    const t = setTimeout(() => s.destroy(), maxMs);
    s.on('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Small deterministic PRNG (mulberry32) so a failing fuzz case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
