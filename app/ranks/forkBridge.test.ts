/**
 * The worker → main → utilityProcess bridge, without Electron: the "main thread" runs a fake
 * utilityProcess.fork that starts the rank with child_process (its IPC channel stands in for
 * process.parentPort), every hop goes through structuredClone as worker messages do, and a real
 * RankCoordinator drives real rank processes through it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RankCoordinator } from './coordinator.js';
import { bridgedFork, isForkCommand, isForkEvent, serveForks, type ForkCommand, type ForkEvent } from './forkBridge.js';
import type { FromRank } from './protocol.js';
import type { UtilityFork } from './rankProcess.js';
import { childProcessUtilityFork } from './fakeUtilityFork.js';

const fakeUtilityFork = childProcessUtilityFork;

/**
 * Both sides wired as the host worker and Electron main wire them: each hop is asynchronous and
 * structured-cloned, as a message between threads is.
 */
function wiredBridge(fork: UtilityFork) {
  const log: string[] = [];
  let worker: ReturnType<typeof bridgedFork> | null = null;
  const main = serveForks(fork, (e: ForkEvent) => {
    const m = structuredClone(e) as unknown;
    setImmediate(() => isForkEvent(m) && worker!.handle(m));
  });
  worker = bridgedFork((c: ForkCommand) => {
    log.push(c.op);
    const m = structuredClone(c) as unknown;
    setImmediate(() => isForkCommand(m) && main.handle(m));
  });
  return { worker, main, log };
}

const started: RankCoordinator[] = [];
afterAll(async () => {
  await Promise.all(started.map((c) => c.stop()));
});

describe('forkBridge', () => {
  it('runs a coordinator’s ranks through the bridge: collectives, kill, stop', async () => {
    const { worker, main, log } = wiredBridge(fakeUtilityFork);
    const c = new RankCoordinator({
      world: 2,
      backend: 'ipc',
      timeoutMs: 20_000,
      spawner: { kind: 'utilityProcess', fork: worker.fork },
    });
    started.push(c);
    await c.start();
    expect(main.running).toBe(2);
    // The bridge knows no pid on this side; each rank's own report fills it in.
    for (const l of c.liveness()) expect(l.pid).toEqual(expect.any(Number));
    expect(new Set(c.liveness().map((l) => l.pid)).size).toBe(2);
    const res = await c.raw([0, 1].map((r) => [{ op: 'all_reduce' as const, data: [r + 1, r * 2], tag: 'r' }]));
    for (const r of res as FromRank[]) {
      if (r.type !== 'rawResult' || !r.ok) throw new Error(JSON.stringify(r));
      expect(r.results[0]).toBeInstanceOf(Float64Array);
      expect([...r.results[0]!]).toEqual([3, 2]);
    }
    c.killRank(1);
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (c.liveness()[1]!.alive) return;
        clearInterval(t);
        resolve();
      }, 20);
    });
    expect(c.liveness()[1]!.ended).toMatch(/exited with code/);
    expect(c.liveness()[0]!.alive).toBe(true);
    await c.stop();
    expect(main.running).toBe(0);
    expect(log).toContain('kill');
  }, 60_000);

  it('reports a fork that throws as an exit with its message on stderr', async () => {
    const { worker } = wiredBridge(() => {
      throw new Error('utility process unavailable');
    });
    const child = worker.fork('/nowhere/rankMain.js', [], { env: {}, stdio: 'pipe', serviceName: 'x' });
    let err = '';
    child.stderr?.on('data', (d: Buffer | string) => (err += d.toString()));
    const code = await new Promise<number>((resolve) => child.on('exit', resolve));
    expect(code).toBe(-1);
    expect(err).toMatch(/fork failed: utility process unavailable/);
  });

  it('ignores commands for unknown children and malformed messages', () => {
    const sent: ForkEvent[] = [];
    const main = serveForks(fakeUtilityFork, (e) => sent.push(e));
    main.handle({ t: 'rankFork', op: 'post', id: 99, message: {} });
    main.handle({ t: 'rankFork', op: 'kill', id: 99 });
    expect(sent).toEqual([]);
    expect(isForkCommand({ t: 'call' })).toBe(false);
    expect(isForkCommand(null)).toBe(false);
    expect(isForkEvent({ t: 'rankForkEvent' })).toBe(true);
  });
});
