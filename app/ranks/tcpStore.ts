/**
 * NormScope's TCP key-value store for gloo rendezvous across machines (native/gloo/src/tcp_store.h
 * is the client). Binary protocol: SET [1][u32 klen][key][u32 vlen][value] → [1];
 * GET [2][u32 klen][key] → [1][u32 vlen][value] or [0] when not set yet (clients poll).
 */
import net from 'node:net';

export class TcpStoreServer {
  private readonly server: net.Server;
  private readonly data = new Map<string, Buffer>();
  private readonly sockets = new Set<net.Socket>();

  private constructor(server: net.Server) {
    this.server = server;
  }

  /** Listens on host:port (port 0 picks a free one). */
  static async listen(host = '127.0.0.1', port = 0): Promise<TcpStoreServer> {
    const server = net.createServer();
    const store = new TcpStoreServer(server);
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

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const used = this.handle(buf, sock);
        if (used === 0) break;
        buf = buf.subarray(used);
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.sockets.delete(sock));
  }

  /** Handles one complete request at the start of `b`; returns bytes used (0 = incomplete). */
  private handle(b: Buffer, sock: net.Socket): number {
    if (b.length < 5) return 0;
    const cmd = b[0];
    const klen = b.readUInt32LE(1);
    if (klen > 1 << 16) {
      sock.destroy();
      return 0;
    }
    if (b.length < 5 + klen) return 0;
    const key = b.subarray(5, 5 + klen).toString('utf8');
    if (cmd === 1) {
      if (b.length < 9 + klen) return 0;
      const vlen = b.readUInt32LE(5 + klen);
      if (vlen > 1 << 24) {
        sock.destroy();
        return 0;
      }
      if (b.length < 9 + klen + vlen) return 0;
      this.data.set(key, Buffer.from(b.subarray(9 + klen, 9 + klen + vlen)));
      sock.write(Buffer.from([1]));
      return 9 + klen + vlen;
    }
    if (cmd === 2) {
      const v = this.data.get(key);
      if (!v) sock.write(Buffer.from([0]));
      else {
        const head = Buffer.alloc(5);
        head[0] = 1;
        head.writeUInt32LE(v.length, 1);
        sock.write(Buffer.concat([head, v]));
      }
      return 5 + klen;
    }
    sock.destroy();
    return 0;
  }
}
