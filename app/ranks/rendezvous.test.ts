import { existsSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openRendezvous, storeSecretFor, type OpenedRendezvous } from './rendezvous.js';
import { MIN_SECRET_LENGTH } from './tcpStore.js';

const opened: OpenedRendezvous[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.tcpStore?.close();
    if (o.storeDir) rmSync(o.storeDir, { recursive: true, force: true });
  }
});
const keep = (o: OpenedRendezvous) => (opened.push(o), o);
const here = { generation: 3, firstRank: 0, localRanks: 4, world: 4 };
const GIVEN = 'x'.repeat(MIN_SECRET_LENGTH);

describe('store secret', () => {
  it('takes the given secret, refuses a short one, and makes one only for a whole world served here', () => {
    expect(storeSecretFor(GIVEN, false, false)).toBe(GIVEN);
    expect(() => storeSecretFor('short', true, true)).toThrow(
      `NORMSCOPE_STORE_SECRET must be at least ${MIN_SECRET_LENGTH} characters (a random value)`,
    );
    const made = storeSecretFor(undefined, true, true);
    expect(made).toMatch(/^[0-9a-f]{64}$/);
    expect(storeSecretFor(undefined, true, true)).not.toBe(made);
    for (const [serving, whole] of [
      [true, false],
      [false, true],
    ] as const)
      expect(() => storeSecretFor(undefined, serving, whole)).toThrow(
        /ranks on several machines need the store secret: set NORMSCOPE_STORE_SECRET/,
      );
  });
});

describe('rendezvous', () => {
  it('file: a fresh temp directory with this incarnation’s key prefix and no secret', async () => {
    const o = keep(await openRendezvous({ hostname: 'h1' }, here));
    expect(o.storeDir && existsSync(o.storeDir)).toBe(true);
    expect(o.rendezvous).toEqual({ storePath: o.storeDir, prefix: 'run3/', hostname: 'h1' });
    expect(o.storeSecret).toBeNull();
    expect(o.tcpStore).toBeNull();
  });

  it('tcp, serving: listens on the given host, on a port of its own when given 0', async () => {
    const o = keep(await openRendezvous({ rendezvous: 'tcp', storeHost: '127.0.0.1', storePort: 0 }, here));
    expect(o.tcpStore).not.toBeNull();
    const port = o.tcpStore!.address.port;
    expect(port).toBeGreaterThan(0);
    expect(o.rendezvous).toEqual({ storeHost: '127.0.0.1', storePort: port, prefix: 'run3/', hostname: undefined });
    expect(o.storeSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(o.storeDir).toBeNull();
  });

  it('tcp, joining another node: needs its address and the shared secret; serves nothing', async () => {
    const node1 = { generation: 1, firstRank: 2, localRanks: 2, world: 4 };
    await expect(openRendezvous({ rendezvous: 'tcp', storeSecret: GIVEN }, node1)).rejects.toThrow(
      "joining another machine's group needs the store address (storeHost and storePort)",
    );
    await expect(openRendezvous({ rendezvous: 'tcp', storePort: 1234 }, node1)).rejects.toThrow(
      /need the store secret/,
    );
    const o = keep(
      await openRendezvous({ rendezvous: 'tcp', storeHost: '10.0.0.1', storePort: 1234, storeSecret: GIVEN }, node1),
    );
    expect(o.tcpStore).toBeNull();
    expect(o.rendezvous).toMatchObject({ storeHost: '10.0.0.1', storePort: 1234, prefix: 'run1/' });
    expect(o.storeSecret).toBe(GIVEN);
  });

  it('a store that cannot listen says where it tried', async () => {
    const first = keep(await openRendezvous({ rendezvous: 'tcp', storeHost: '127.0.0.1' }, here));
    const port = first.tcpStore!.address.port;
    await expect(openRendezvous({ rendezvous: 'tcp', storeHost: '127.0.0.1', storePort: port }, here)).rejects.toThrow(
      `cannot serve the rendezvous store at 127.0.0.1:${port} (an address of this machine?)`,
    );
  });
});
