/** The ipc broker's matching, mismatch, timeout and dead-rank logic, without processes. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CollectiveBroker } from './collectiveBroker.js';
import type { IpcRequest, IpcResponse } from '../../engine/testing.js';
import { CallCounter } from '../../engine/testing.js';

type Sent = { rank: number; header: IpcResponse; payload: number[] };

function setup() {
  const sent: Sent[] = [];
  const failures: string[] = [];
  const broker = new CollectiveBroker(
    (rank, header, payload) => sent.push({ rank, header, payload: [...payload] }),
    (rank) => `alive, pid ${1000 + rank}, but silent`,
    (f) => failures.push(f.message),
  );
  const counters = new Map<string, CallCounter>();
  const req = (
    rank: number,
    members: number[],
    op: 'all_gather' | 'all_reduce' | 'broadcast' | 'barrier',
    data: number[],
    tag = '',
    src = -1,
    group = 'world',
  ): [IpcRequest, Float64Array] => {
    const key = `${group}/${rank}`;
    if (!counters.has(key)) counters.set(key, new CallCounter());
    return [
      { group, members, rank, call: counters.get(key)!.next(op, tag, data.length, src), timeoutMs: 1000 },
      Float64Array.from(data),
    ];
  };
  return { broker, sent, failures, req };
}

afterEach(() => vi.useRealTimers());

describe('CollectiveBroker', () => {
  it('answers every member once all arrived: gather in rank order, sum, broadcast', () => {
    const { broker, sent, req } = setup();
    broker.submit(...req(1, [0, 1], 'all_gather', [3, 4]));
    expect(sent).toEqual([]);
    broker.submit(...req(0, [0, 1], 'all_gather', [1, 2]));
    expect(sent.map((s) => [s.rank, s.payload])).toEqual([
      [0, [1, 2, 3, 4]],
      [1, [1, 2, 3, 4]],
    ]);
    broker.submit(...req(0, [0, 1], 'all_reduce', [1, 2]));
    broker.submit(...req(1, [0, 1], 'all_reduce', [10, 20]));
    expect(sent.slice(2).map((s) => s.payload)).toEqual([
      [11, 22],
      [11, 22],
    ]);
    broker.submit(...req(0, [0, 1], 'broadcast', [5], '', 1));
    broker.submit(...req(1, [0, 1], 'broadcast', [9], '', 1));
    expect(sent.slice(4).map((s) => s.payload)).toEqual([[9], [9]]);
  });

  it('keeps subgroups apart', () => {
    const { broker, sent, req } = setup();
    broker.submit(...req(0, [0, 1], 'all_reduce', [1], '', -1, 'world/g0'));
    broker.submit(...req(2, [2, 3], 'all_reduce', [5], '', -1, 'world/g1'));
    broker.submit(...req(3, [2, 3], 'all_reduce', [6], '', -1, 'world/g1'));
    broker.submit(...req(1, [0, 1], 'all_reduce', [2], '', -1, 'world/g0'));
    expect(sent.map((s) => [s.rank, s.payload[0]])).toEqual([
      [2, 11],
      [3, 11],
      [0, 3],
      [1, 3],
    ]);
  });

  it('reports a mismatch naming the odd rank, and aborts later requests of the step', () => {
    const { broker, sent, req, failures } = setup();
    broker.submit(...req(0, [0, 1, 2], 'all_gather', [1], 'bn2:forward'));
    broker.submit(...req(1, [0, 1, 2], 'all_reduce', [1], 'bn1:backward'));
    broker.submit(...req(2, [0, 1, 2], 'all_gather', [1], 'bn2:forward'));
    expect(sent).toHaveLength(3);
    for (const s of sent) {
      expect(s.header.ok).toBe(false);
      if (!s.header.ok) {
        expect(s.header.blamedRank).toBe(1);
        expect(s.header.message).toContain("rank 1 called all_reduce for 'bn1:backward'");
      }
    }
    expect(failures).toHaveLength(1);
    broker.submit(...req(0, [0, 1, 2], 'barrier', []));
    expect(sent[3]!.header).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^step aborted: collective mismatch/),
    });
    broker.startStep();
    broker.submit(...req(0, [0], 'barrier', []));
    expect(sent[4]!.header.ok).toBe(true);
  });

  it('times out naming the silent rank, and fails pending collectives when a rank exits', () => {
    vi.useFakeTimers();
    const { broker, sent, req } = setup();
    broker.submit(...req(0, [0, 1], 'all_gather', [1], 'layer3:forward'));
    vi.advanceTimersByTime(999);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(2);
    expect(sent[0]!.header).toMatchObject({
      ok: false,
      blamedRank: 1,
      message: expect.stringMatching(
        /^rank 1 \(alive, pid 1001, but silent\) did not join all_gather for 'layer3:forward'.* within 1000 ms/,
      ),
    });
    broker.startStep();
    broker.submit(...req(0, [0, 1], 'all_reduce', [1], 'layer3:backward'));
    broker.rankExited(1, 'was killed by signal SIGKILL');
    expect(sent[1]!.header).toMatchObject({
      ok: false,
      blamedRank: 1,
      message: expect.stringMatching(
        /^rank 1 was killed by signal SIGKILL before joining all_reduce for 'layer3:backward'/,
      ),
    });
    broker.startStep();
    broker.submit(...req(0, [0, 1], 'barrier', []));
    expect(sent[2]!.header).toMatchObject({ ok: false, blamedRank: 1 });
  });
});
