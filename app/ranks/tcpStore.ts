/**
 * NormScope's TCP key-value store for gloo rendezvous across machines (native/gloo/src/tcp_store.h
 * is the client). Binary protocol, little-endian:
 *   AUTH [3][u32 slen][secret]         → [1], or [0] and the store closes the connection
 *   SET  [1][u32 klen][key][u32 vlen][value] → [1], or [2][u32 mlen][message] (over a budget)
 *   GET  [2][u32 klen][key]            → [1][u32 vlen][value], or [0] when not set yet (clients poll)
 * Every connection must prove the run's secret (random, given to the ranks at spawn through their
 * environment, never on a command line) with AUTH before any SET or GET; anything else first closes
 * it. Budgets bound what one run's peers can make the store hold: key and value sizes, key count,
 * total bytes, connections, and the time a connection may take to authenticate. A request over a
 * size budget gets the refusal and the connection closes (its remaining bytes are not read).
 *
 * What this does not protect: the secret and the rendezvous data cross the network in the clear, and
 * gloo's own transport between ranks is not authenticated (docs/ranks-across-machines.md).
 */
import net from 'node:net';
import { timingSafeEqual } from 'node:crypto';

export interface TcpStoreLimits {
  maxKeyBytes: number;
  maxValueBytes: number;
  maxKeys: number;
  /** Keys plus values held at once. */
  maxTotalBytes: number;
  maxConnections: number;
  /** A connection that has not authenticated by then is closed (ms). */
  authTimeoutMs: number;
}

/** gloo's rendezvous keys are short and its values are addresses (hundreds of bytes). */
export const DEFAULT_STORE_LIMITS: TcpStoreLimits = {
  maxKeyBytes: 1024,
  maxValueBytes: 1 << 20,
  maxKeys: 16_384,
  maxTotalBytes: 64 << 20,
  maxConnections: 1024,
  authTimeoutMs: 10_000,
};

/** The environment variable the coordinator passes the secret to its ranks in (never argv). */
export const STORE_SECRET_ENV = 'NORMSCOPE_STORE_SECRET';
/** Shortest secret accepted (a user-provided one for several machines must be as hard to guess). */
export const MIN_SECRET_LENGTH = 16;
const MAX_SECRET_LENGTH = 256;

const CMD_SET = 1;
const CMD_GET = 2;
const CMD_AUTH = 3;
const REFUSED = 2;

export class TcpStoreServer {
  private readonly server: net.Server;
  private readonly data = new Map<string, Buffer>();
  private readonly sockets = new Set<net.Socket>();
  private totalBytes = 0;

  private constructor(
    server: net.Server,
    private readonly secret: Buffer,
    readonly limits: TcpStoreLimits,
  ) {
    this.server = server;
  }

  /** Listens on host:port (port 0 picks a free one); only peers that prove `secret` may use it. */
  static async listen(
    host: string,
    port: number,
    secret: string,
    limits: Partial<TcpStoreLimits> = {},
  ): Promise<TcpStoreServer> {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH || secret.length > MAX_SECRET_LENGTH)
      throw new Error(`the store secret must be ${MIN_SECRET_LENGTH}–${MAX_SECRET_LENGTH} characters`);
    const server = net.createServer();
    const store = new TcpStoreServer(server, Buffer.from(secret), { ...DEFAULT_STORE_LIMITS, ...limits });
    server.on('connection', (s) => store.serve(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return store;
  }

  get address(): { host: string; port: number } {
    const a = this.server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Keys held now (for tests and diagnostics). */
  get size(): number {
    return this.data.size;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(sock: net.Socket): void {
    sock.on('error', () => sock.destroy());
    if (this.sockets.size >= this.limits.maxConnections) {
      sock.destroy();
      return;
    }
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.setNoDelay(true);
    const state = { authed: false, buf: Buffer.alloc(0) };
    const authTimer = setTimeout(() => {
      if (!state.authed) sock.destroy();
    }, this.limits.authTimeoutMs);
    authTimer.unref();
    sock.on('close', () => clearTimeout(authTimer));
    sock.on('data', (chunk) => {
      if (sock.writableEnded) return; // refused: the rest of its bytes are not read
      state.buf = state.buf.length ? Buffer.concat([state.buf, chunk]) : chunk;
      while (!sock.destroyed && !sock.writableEnded) {
        const used = this.handle(state, sock);
        if (used === 0) break;
        state.buf = state.buf.subarray(used);
      }
    });
  }

  private refuse(sock: net.Socket, message: string, close: boolean): void {
    const text = Buffer.from(message);
    const head = Buffer.alloc(5);
    head[0] = REFUSED;
    head.writeUInt32LE(text.length, 1);
    if (close) sock.end(Buffer.concat([head, text]), () => sock.destroy());
    else sock.write(Buffer.concat([head, text]));
  }

  /** Handles one complete request at the start of the buffer; returns bytes used (0 = incomplete or closed). */
  private handle(state: { authed: boolean; buf: Buffer }, sock: net.Socket): number {
    const b = state.buf;
    if (b.length < 5) return 0;
    const cmd = b[0];
    const len = b.readUInt32LE(1);
    if (!state.authed) {
      // Nothing but AUTH before the secret; its length is bounded before we wait for its bytes.
      if (cmd !== CMD_AUTH || len > MAX_SECRET_LENGTH) {
        sock.destroy();
        return 0;
      }
      if (b.length < 5 + len) return 0;
      const given = b.subarray(5, 5 + len);
      if (given.length !== this.secret.length || !timingSafeEqual(given, this.secret)) {
        sock.end(Buffer.from([0]), () => sock.destroy());
        return 0;
      }
      state.authed = true;
      sock.write(Buffer.from([1]));
      return 5 + len;
    }
    const L = this.limits;
    if (cmd !== CMD_SET && cmd !== CMD_GET) {
      sock.destroy();
      return 0;
    }
    if (len > L.maxKeyBytes) {
      this.refuse(sock, `TCP store: key of ${len} bytes is over the budget of ${L.maxKeyBytes} bytes`, true);
      return 0;
    }
    if (b.length < 5 + len) return 0;
    const key = b.subarray(5, 5 + len).toString('utf8');
    if (cmd === CMD_GET) {
      const v = this.data.get(key);
      if (!v) sock.write(Buffer.from([0]));
      else {
        const head = Buffer.alloc(5);
        head[0] = 1;
        head.writeUInt32LE(v.length, 1);
        sock.write(Buffer.concat([head, v]));
      }
      return 5 + len;
    }
    if (b.length < 9 + len) return 0;
    const vlen = b.readUInt32LE(5 + len);
    if (vlen > L.maxValueBytes) {
      this.refuse(sock, `TCP store: value of ${vlen} bytes is over the budget of ${L.maxValueBytes} bytes`, true);
      return 0;
    }
    if (b.length < 9 + len + vlen) return 0;
    const old = this.data.get(key);
    const grow = old ? vlen - old.length : len + vlen;
    if (!old && this.data.size >= L.maxKeys) {
      this.refuse(
        sock,
        `TCP store: ${L.maxKeys} keys already held (the budget); SET ${key.slice(0, 64)} refused`,
        false,
      );
    } else if (this.totalBytes + grow > L.maxTotalBytes) {
      this.refuse(
        sock,
        `TCP store: holding ${this.totalBytes} bytes, the budget of ${L.maxTotalBytes} bytes is full`,
        false,
      );
    } else {
      this.data.set(key, Buffer.from(b.subarray(9 + len, 9 + len + vlen)));
      this.totalBytes += grow;
      sock.write(Buffer.from([1]));
    }
    return 9 + len + vlen;
  }
}
