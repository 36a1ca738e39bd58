import { describe, expect, it } from 'vitest';
import type { FromRank } from './protocol.js';
import { explainFailure, rankStepReport, statesIdentical, type RankEnd, type RankStepReport } from './stepReport.js';

const base = (rank: number, alive = true) => ({ rank, pid: 100 + rank, alive, count: 2 });
const report = (rank: number, over: Partial<RankStepReport> = {}): RankStepReport => ({
  ...base(rank),
  ok: true,
  error: null,
  blames: null,
  ownError: false,
  telemetry: null,
  stateHash: 'aa',
  ...over,
});
const running: RankEnd = { killedByCoordinator: false, ended: null };
const ends =
  (m: Record<number, RankEnd> = {}) =>
  (rank: number): RankEnd =>
    m[rank] ?? running;

describe('rank step report', () => {
  it('maps a step result, an error and an unexpected answer', () => {
    const result = {
      type: 'stepResult',
      id: 1,
      ok: false,
      error: { message: 'rank 2 timed out in SyncBatchNorm 1', blamedRank: 2, collective: true },
      telemetry: null,
      stateHash: 'ff',
    } as unknown as FromRank;
    expect(rankStepReport(result, base(0))).toMatchObject({
      ok: false,
      error: 'rank 2 timed out in SyncBatchNorm 1',
      blames: 2,
      ownError: false,
      stateHash: 'ff',
      pid: 100,
    });
    expect(rankStepReport(new Error('rank 1 was killed'), base(1))).toMatchObject({
      ok: false,
      error: 'rank 1 was killed',
      blames: null,
      stateHash: null,
    });
    expect(rankStepReport({ type: 'built' } as unknown as FromRank, base(1)).error).toBe('unexpected answer built');
    expect(rankStepReport(null, base(1)).error).toBe('unexpected answer undefined');
  });
});

describe('explainFailure', () => {
  it('the broker’s failure is the message and names the rank', () => {
    const ranks = [report(0, { ok: false, error: 'step aborted: rank 3 left' }), report(1)];
    expect(explainFailure(ranks, { message: 'rank 3 exited in layer 4', blamedRank: 3 }, ends())).toEqual({
      message: 'rank 3 exited in layer 4',
      blamed: 3,
    });
  });

  it('without one, the rank most reports blame; a rank that died comes first with how it ended', () => {
    const ranks = [
      report(0, { ok: false, error: 'rank 2 timed out', blames: 2 }),
      report(1, { ok: false, error: 'rank 2 timed out', blames: 2 }),
      report(2, { ok: false, error: 'step aborted: rank 0 said so' }),
      report(3, { ok: false, error: 'rank 0 said so', blames: 0 }),
    ];
    expect(explainFailure(ranks, null, ends())).toEqual({ message: 'rank 2 timed out', blamed: 2 });
    ranks[3] = report(3, { ok: false, alive: false, error: null });
    expect(
      explainFailure(ranks, null, ends({ 3: { killedByCoordinator: false, ended: 'exited with code 9' } })),
    ).toEqual({ message: 'rank 3 exited with code 9; rank 2 timed out', blamed: 3 });
  });

  it('a rank’s own exception is the cause; ranks killed after the timeout are listed', () => {
    const ranks = [
      report(0, { ok: false, error: 'ValueError: bad shape', ownError: true }),
      report(1, { ok: false, error: 'rank 0 aborted the step' }),
      report(2, { ok: false, alive: false, error: 'killed' }),
    ];
    const r = explainFailure(ranks, null, ends({ 2: { killedByCoordinator: true, ended: 'was killed by SIGKILL' } }));
    expect(r).toEqual({
      message:
        'rank 0 failed outside a collective: ValueError: bad shape; rank 0 aborted the step (killed after the timeout: rank 2)',
      blamed: 0,
    });
    expect(explainFailure([report(0, { ok: false })], null, ends()).message).toBe('unknown failure');
  });
});

describe('statesIdentical', () => {
  it('compares hashes within each subgroup (the world without any), ignoring ranks without one', () => {
    const ranks = [
      report(0, { stateHash: 'a' }),
      report(1, { stateHash: 'a' }),
      report(2, { stateHash: 'b' }),
      report(3, { stateHash: null }),
    ];
    expect(statesIdentical(ranks, undefined, 4)).toBe(false);
    expect(
      statesIdentical(
        ranks,
        [
          [0, 1],
          [2, 3],
        ],
        4,
      ),
    ).toBe(true);
    expect(statesIdentical(ranks, [], 2)).toBe(true);
  });
});
