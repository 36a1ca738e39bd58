import { describe, expect, it } from 'vitest';
import { EVENT_NAMES, METHOD_NAMES } from '../shared/contract.js';
import { CALL_CHANNEL, createBridge, eventChannel, PRELOAD_METHODS, type IpcLike } from './bridge.js';

function fakeIpc() {
  const calls: unknown[][] = [];
  const listeners = new Map<string, Set<(e: unknown, p: unknown) => void>>();
  const ipc: IpcLike = {
    invoke: async (channel, ...args) => {
      calls.push([channel, ...args]);
      return args[0] === 'app.info'
        ? { ok: true, value: { version: 'x' } }
        : { ok: false, error: { name: 'ValueError', message: 'bad' } };
    },
    on: (ch, l) => void (listeners.get(ch) ?? listeners.set(ch, new Set()).get(ch)!).add(l),
    removeListener: (ch, l) => void listeners.get(ch)?.delete(l),
  };
  return { ipc, calls, listeners };
}

describe('preload bridge', () => {
  it('forwards exactly the contract methods over one channel', async () => {
    expect([...PRELOAD_METHODS].sort()).toEqual([...METHOD_NAMES].sort());
    const { ipc, calls } = fakeIpc();
    const bridge = createBridge(ipc);
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on']);
    expect(await bridge.call('app.info', {})).toEqual({ version: 'x' });
    expect(calls[0]).toEqual([CALL_CHANNEL, 'app.info', {}]);
    await expect(bridge.call('step.train', { lr: 1 })).rejects.toThrow('{"name":"ValueError","message":"bad"}');
    await expect(bridge.call('shell.exec' as never, {} as never)).rejects.toThrow('unknown method');
    expect(calls).toHaveLength(2);
  });

  it('subscribes only to contract events and unsubscribes', () => {
    const { ipc, listeners } = fakeIpc();
    const bridge = createBridge(ipc);
    const got: unknown[] = [];
    const off = bridge.on('progress', (p) => got.push(p));
    for (const l of listeners.get(eventChannel('progress'))!) l({}, { jobId: 'j' });
    expect(got).toEqual([{ jobId: 'j' }]);
    off();
    expect(listeners.get(eventChannel('progress'))!.size).toBe(0);
    expect(() => bridge.on('secrets' as never, () => undefined)).toThrow('unknown event');
    expect(EVENT_NAMES.length).toBeGreaterThan(0);
  });
});
