/** Workspace 7: SyncBatchNorm ranks as processes: one lane per rank, combined stats, kill and restart. */
import { useState } from 'react';
import { ChannelBars, Lines } from '../charts/charts';
import { parseNumericList, RANK_DOMAINS } from '../../../app/shared/numeric';
import { Empty, ErrorBox, FeatureGate, fmtNum, NumberField, NumberListField } from '../components/common';
import { fieldErrorsUnder } from '../store/slices/app';
import { useApp } from '../store/hooks';

export function Ranks() {
  const ranks = useApp((s) => s.ranks);
  const error = useApp((s) => s.ranksError);
  const busy = useApp((s) => s.ranksBusy);
  const built = useApp((s) => s.summary);
  const start = useApp((s) => s.startRanks);
  const step = useApp((s) => s.stepRanks);
  const kill = useApp((s) => s.killRank);
  const restart = useApp((s) => s.restartRanks);
  const stop = useApp((s) => s.stopRanks);
  const [world, setWorld] = useState(4);
  const [shards, setShards] = useState<number[]>([]);
  const fieldErrors = fieldErrorsUnder(
    useApp((s) => s.fieldErrors),
    'ranks:',
  );
  const running = ranks?.running ?? false;
  const [groups, setGroups] = useState('');
  // "0,1; 2,3" → [[0, 1], [2, 3]], each rank parsed against the host's domain.
  const groupParse = groups.trim()
    ? groups.split(';').map((g, i) => parseNumericList(g, RANK_DOMAINS.rank, `subgroup ${i}`, { maxItems: 16 }))
    : [];
  const groupError = groupParse.find((g) => !g.ok)?.error ?? null;
  const parsedGroups = groupParse.flatMap((g) => (g.ok ? [g.value] : []));
  return (
    <section className="workspace" data-testid="ws-ranks">
      <header className="ws-header">
        <h2>Ranks</h2>
        {ranks && (
          <span className="badge" data-testid="ranks-badge">
            world {ranks.worldSize}
            {ranks.subgroups.length > 0 && ` · groups ${ranks.subgroups.map((g) => `[${g.join(',')}]`).join(' ')}`} ·
            step {ranks.step} · {ranks.lanes.filter((l) => l.alive).length} alive · layer {ranks.layer ?? '—'}
          </span>
        )}
      </header>
      <FeatureGate feature="ranks">
        {!built ? (
          <Empty>
            Build a stack with SyncBatchNorm layers first (Stack builder → Convert to SyncBatchNorm… → Build).
          </Empty>
        ) : (
          <div className="toolbar">
            <NumberField
              label="world size"
              value={world}
              domain={RANK_DOMAINS.worldSize}
              onChange={(v) => setWorld(v!)}
              testId="ranks-world"
              errorKey="ranks:world"
            />
            <NumberListField
              label="shard sizes (empty = even)"
              value={shards}
              domain={RANK_DOMAINS.shard}
              allowEmpty
              maxItems={16}
              placeholder="e.g. 16, 16, 0, 32"
              onChange={setShards}
              testId="ranks-shards"
              errorKey="ranks:shards"
            />
            <label className={`field${groupError ? ' invalid' : ''}`}>
              <span>subgroups</span>
              <input
                value={groups}
                placeholder="e.g. 0,1; 2,3"
                onChange={(e) => setGroups(e.target.value)}
                data-testid="ranks-groups"
                aria-invalid={groupError ? true : undefined}
              />
              {groupError && (
                <span className="field-error" role="alert" data-testid="ranks-groups-error">
                  {groupError}
                </span>
              )}
            </label>
            <button
              className="primary"
              disabled={busy || fieldErrors.length > 0 || !!groupError}
              title={fieldErrors[0] ?? groupError ?? undefined}
              onClick={() => void start(world, shards, parsedGroups)}
              data-testid="ranks-start"
            >
              {running ? 'Start again' : 'Start'}
            </button>
            <button disabled={!running || busy} onClick={() => void step()} data-testid="ranks-step">
              Step
            </button>
            <button disabled={!running || busy} onClick={() => void restart()} data-testid="ranks-restart">
              Restart group
            </button>
            <button disabled={!running} onClick={() => void stop()}>
              Stop
            </button>
            {busy && <span className="note">working…</span>}
          </div>
        )}
        <ErrorBox error={error} testId="ranks-error" />
        {ranks?.lastError && (
          <div className="error" data-testid="ranks-step-error">
            {ranks.lastError}
          </div>
        )}
        {!ranks ? (
          <Empty>
            Start a world of ranks: each runs the built stack in its own process on its shard of the Stepping batch.
          </Empty>
        ) : (
          <>
            <div className="lanes" data-testid="ranks-lanes">
              {ranks.lanes.map((l) => (
                <div key={l.rank} className={`lane ${l.alive ? '' : 'dead'}`} data-testid={`lane-${l.rank}`}>
                  <strong>rank {l.rank}</strong>{' '}
                  <span className={l.alive ? 'status ok' : 'status bad'}>{l.alive ? 'alive' : 'dead'}</span>
                  {l.pid !== null && <> · pid {l.pid}</>} · shard {l.count} · {l.collectiveCalls} collectives ·{' '}
                  {fmtNum(l.collectiveMs, 1)} ms
                  {l.error && <div className="inline-error">{l.error}</div>}
                  {l.count === 0 ? (
                    <p className="note" data-testid={`lane-${l.rank}-empty`}>
                      Empty shard: this rank joins every collective with count 0, so it adds nothing to the combined
                      statistics (its local ones are undefined).
                    </p>
                  ) : (
                    <>
                      <Lines
                        title="mean per channel: local vs combined"
                        series={[
                          { label: 'local', values: l.localMean ?? [], cls: 'a' },
                          { label: 'combined', values: l.combinedMean ?? [], cls: 'b' },
                        ]}
                        testId={`lane-${l.rank}-mean`}
                      />
                      <ChannelBars title="local variance (biased)" values={l.localVar} />
                    </>
                  )}
                  {l.alive && running && (
                    <button onClick={() => void kill(l.rank)} data-testid={`kill-${l.rank}`}>
                      Kill rank {l.rank}
                    </button>
                  )}
                </div>
              ))}
            </div>
            <div className="charts">
              <ChannelBars title="combined mean (all ranks)" values={ranks.combinedMean} testId="ranks-combined" />
              <ChannelBars title="combined variance" values={ranks.combinedVar} />
            </div>
          </>
        )}
      </FeatureGate>
    </section>
  );
}
