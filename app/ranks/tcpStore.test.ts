/**
 * The rendezvous store against hostile peers (issue 13): no SET or GET before the run's secret, a wrong
 * secret or a silent connection is closed, every size and count has a budget named in its refusal,
 * and it binds the host it is given. Then the C++ client (the gloo addon) against a hostile store: a
 * wrong secret and an oversize length are clear errors, not a hang or a 4 GiB allocation.
 */
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { glooAvailability, glooContextFactory } from './glooAddon.js';
import { TcpStoreServer } from './tcpStore.js';
import { RankCoordinator } from './coordinator.js';

const SECRET = randomBytes(16).toString('hex');
const stores: TcpStoreServer[] = [];
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

async function store(limits = {}): Promise<TcpStoreServer> {
  const s = await TcpStoreServer.listen('127.0.0.1', 0, SECRET, limits);
  stores.push(s);
  return s;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const auth = (secret: string) => Buffer.concat([Buffer.from([3]), u32(Buffer.byteLength(secret)), Buffer.from(secret)]);
const set = (k: string, v: Buffer) =>
  Buffer.concat([Buffer.from([1]), u32(Buffer.byteLength(k)), Buffer.from(k), u32(v.length), v]);
const get = (k: string) => Buffer.concat([Buffer.from([2]), u32(Buffer.byteLength(k)), Buffer.from(k)]);

/** A client socket that collects every byte and says when it closed. */
function client(port: number) {
  const s = net.connect(port, '127.0.0.1');
  const got: Buffer[] = [];
  s.on('data', (c) => got.push(c));
  s.on('error', () => undefined);
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  const bytes = () => Buffer.concat(got);
  /** Resolves once `n` bytes arrived or the socket closed. */
  const received = (n: number) =>
    new Promise<Buffer>((resolve) => {
      const check = () => {
        if (bytes().length >= n || s.destroyed) resolve(bytes());
      };
      s.on('data', check);
      s.on('close', check);
      check();
    });
  return { s, closed, bytes, received };
}

describe('TCP store: authentication', () => {
  it('closes a connection whose first request is SET or GET, without answering', async () => {
    const st = await store();
    for (const first of [set('k', Buffer.from('v')), get('k'), Buffer.from([9, 0, 0, 0, 0])]) {
      const c = client(st.address.port);
      c.s.write(first);
      await c.closed;
      expect(c.bytes().length).toBe(0);
    }
    expect(st.size).toBe(0);
  });

  it('answers a wrong secret with 0 and closes; an oversize AUTH is closed unread', async () => {
    const st = await store();
    const wrong = client(st.address.port);
    wrong.s.write(Buffer.concat([auth('x'.repeat(SECRET.length)), set('k', Buffer.from('v'))]));
    await wrong.closed;
    expect([...wrong.bytes()]).toEqual([0]);
    const huge = client(st.address.port);
    huge.s.write(Buffer.concat([Buffer.from([3]), u32(0xffffffff)]));
    await huge.closed;
    expect(st.size).toBe(0);
  });

  it('closes a connection that never authenticates (auth timeout)', async () => {
    const st = await store({ authTimeoutMs: 50 });
    const c = client(st.address.port);
    c.s.write(Buffer.from([3, 5])); // half a header, then silence
    await c.closed;
    expect(c.s.destroyed).toBe(true);
  });

  it('with the secret: SET then GET round-trips, unknown keys answer 0', async () => {
    const st = await store();
    const c = client(st.address.port);
    c.s.write(Buffer.concat([auth(SECRET), set('rank0', Buffer.from('addr')), get('rank0'), get('nope')]));
    const out = await c.received(1 + 1 + 5 + 4 + 1);
    expect([...out]).toEqual([1, 1, 1, 4, 0, 0, 0, ...Buffer.from('addr'), 0]);
    c.s.destroy();
  });

  it('refuses a secret too short to be one', async () => {
    await expect(TcpStoreServer.listen('127.0.0.1', 0, 'short')).rejects.toThrow(/16–256 characters/);
  });
});

describe('TCP store: budgets', () => {
  const refusal = (b: Buffer, at: number) => {
    expect(b[at]).toBe(2);
    const n = b.readUInt32LE(at + 1);
    return b.subarray(at + 5, at + 5 + n).toString();
  };

  it('refuses an oversize key or value by its declared length, naming the budget, and closes', async () => {
    const st = await store({ maxKeyBytes: 8, maxValueBytes: 16 });
    const k = client(st.address.port);
    k.s.write(Buffer.concat([auth(SECRET), Buffer.from([1]), u32(4096)]));
    await k.closed;
    expect(refusal(k.bytes(), 1)).toBe('TCP store: key of 4096 bytes is over the budget of 8 bytes');
    const v = client(st.address.port);
    // Declares 4 GiB - 1 of value: refused from the header, nothing waited for or allocated.
    v.s.write(Buffer.concat([auth(SECRET), Buffer.from([1]), u32(1), Buffer.from('k'), u32(0xffffffff)]));
    await v.closed;
    expect(refusal(v.bytes(), 1)).toBe('TCP store: value of 4294967295 bytes is over the budget of 16 bytes');
    expect(st.size).toBe(0);
  });

  it('refuses keys past the key budget and bytes past the total budget, and keeps serving', async () => {
    const st = await store({ maxKeys: 3, maxTotalBytes: 64 });
    const c = client(st.address.port);
    c.s.write(Buffer.concat([auth(SECRET), ...['a', 'b', 'c', 'd'].map((k) => set(k, Buffer.from('1')))]));
    const msg = 'TCP store: 3 keys already held (the budget); SET d refused';
    const out = await c.received(1 + 3 + 5 + msg.length);
    expect([...out.subarray(0, 4)]).toEqual([1, 1, 1, 1]);
    expect(refusal(out, 4)).toBe(msg);
    // Overwriting a held key is not a new key; growing past the total is refused.
    c.s.write(set('a', Buffer.alloc(70)));
    const full = await c.received(out.length + 5 + 10);
    expect(refusal(full, out.length)).toMatch(/^TCP store: holding 6 bytes, the budget of 64 bytes is full$/);
    c.s.write(get('c'));
    const last = await c.received(full.length + 6);
    expect([...last.subarray(full.length)]).toEqual([1, 1, 0, 0, 0, ...Buffer.from('1')]);
    expect(st.size).toBe(3);
    c.s.destroy();
  });

  it('refuses connections past the connection budget', async () => {
    const st = await store({ maxConnections: 2 });
    const a = client(st.address.port);
    const b = client(st.address.port);
    a.s.write(auth(SECRET));
    b.s.write(auth(SECRET));
    await Promise.all([a.received(1), b.received(1)]);
    const c = client(st.address.port);
    await c.closed;
    expect(c.bytes().length).toBe(0);
    a.s.destroy();
    b.s.destroy();
  });

  it('binds the host it is given, not every interface', async () => {
    const st = await store();
    expect(st.address.host).toBe('127.0.0.1');
  });
});

/**
 * A fake store on its own thread (the addon's calls block this one): answers AUTH with `answerAuth`
 * (closing unless it is [1]), SET with [1] and every GET with `onGet`.
 */
async function hostileStore(answerAuth: number[], onGet: Buffer): Promise<number> {
  const code = `
    const net = require('node:net');
    const { parentPort, workerData } = require('node:worker_threads');
    const srv = net.createServer((s) => {
      s.on('error', () => {});
      let authed = false;
      s.on('data', (d) => {
        if (!authed) {
          authed = true;
          s.write(Buffer.from(workerData.answerAuth));
          if (workerData.answerAuth[0] !== 1) s.end();
          return;
        }
        s.write(d[0] === 1 ? Buffer.from([1]) : Buffer.from(workerData.onGet));
      });
    });
    srv.listen(0, '127.0.0.1', () => parentPort.postMessage(srv.address().port));
  `;
  const w = new Worker(code, { eval: true, workerData: { answerAuth, onGet: [...onGet] } });
  workers.push(w);
  return new Promise((resolve) => w.once('message', resolve));
}

describe.skipIf(!glooAvailability().available)('the C++ store client against a hostile store', () => {
  const connect = (port: number, storeSecret?: string) => {
    const saved = process.env.NORMSCOPE_STORE_SECRET;
    if (storeSecret) process.env.NORMSCOPE_STORE_SECRET = storeSecret;
    else delete process.env.NORMSCOPE_STORE_SECRET;
    try {
      const make = glooContextFactory();
      return () => make({ rank: 0, size: 2, prefix: 't/', timeoutMs: 3000, storeHost: '127.0.0.1', storePort: port });
    } finally {
      if (saved === undefined) delete process.env.NORMSCOPE_STORE_SECRET;
      else process.env.NORMSCOPE_STORE_SECRET = saved;
    }
  };

  it('refuses to connect without a secret, and reports a refused secret clearly', async () => {
    const port = await hostileStore([0], Buffer.from([0]));
    expect(connect(port)).toThrow(/needs the run's store secret \(NORMSCOPE_STORE_SECRET/);
    expect(connect(port, SECRET)).toThrow(/refused the store secret/);
  });

  it('a store claiming a 4 GiB value is an error naming the limit, not an allocation', async () => {
    const port = await hostileStore([1], Buffer.concat([Buffer.from([1]), u32(0xffffffff)]));
    expect(connect(port, SECRET)).toThrow(
      /value of 4294967295 bytes for key .* is over the client's limit of 16777216/,
    );
  });

  it('passes on a refusal message, bounded', async () => {
    const msg = 'TCP store: 3 keys already held (the budget)';
    const port = await hostileStore([1], Buffer.concat([Buffer.from([2]), u32(msg.length), Buffer.from(msg)]));
    expect(connect(port, SECRET)).toThrow(msg);
    const huge = await hostileStore([1], Buffer.concat([Buffer.from([2]), u32(1 << 30)]));
    expect(connect(huge, SECRET)).toThrow(/message over the client's limit of 4096/);
  });
});

describe.skipIf(!glooAvailability().available)('the coordinator and the store secret', () => {
  const saved = process.env.NORMSCOPE_STORE_SECRET;
  afterEach(() => {
    if (saved === undefined) delete process.env.NORMSCOPE_STORE_SECRET;
    else process.env.NORMSCOPE_STORE_SECRET = saved;
  });
  const joining = () =>
    new RankCoordinator({
      world: 4,
      backend: 'gloo',
      rendezvous: 'tcp',
      storeHost: '127.0.0.1',
      storePort: 9,
      serveStore: false,
      firstRank: 2,
      localRanks: 2,
    });

  it('a node joining another machine needs the secret, and a real one', async () => {
    delete process.env.NORMSCOPE_STORE_SECRET;
    await expect(joining().start()).rejects.toThrow(
      'ranks on several machines need the store secret: set NORMSCOPE_STORE_SECRET to the same random value (at least 16 characters) on every node',
    );
    process.env.NORMSCOPE_STORE_SECRET = 'hunter2';
    await expect(joining().start()).rejects.toThrow('NORMSCOPE_STORE_SECRET must be at least 16 characters');
  });

  it('serves the store on the host it is given, and says so when that is not this machine', async () => {
    const c = new RankCoordinator({
      world: 1,
      backend: 'gloo',
      rendezvous: 'tcp',
      storeHost: '192.0.2.1',
      storePort: 0,
    });
    await expect(c.start()).rejects.toThrow(/cannot serve the rendezvous store at 192\.0\.2\.1:0/);
    await c.stop();
  });
});
