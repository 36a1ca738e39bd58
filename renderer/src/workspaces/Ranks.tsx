/** Workspace 7: SyncBatchNorm ranks as processes: one lane per rank, combined stats, kill and restart. */
import { useState } from 'react';
import { ChannelBars } from '../charts/charts';
import { Empty, ErrorBox, FeatureGate, fmtNum } from '../components/common';
import { useApp } from '../store/hooks';

export function Ranks() {
  const ranks = useApp((s) => s.ranks);
  const error = useApp((s) => s.ranksError);
  const start = useApp((s) => s.startRanks);
  const step = useApp((s) => s.stepRanks);
  const kill = useApp((s) => s.killRank);
  const stop = useApp((s) => s.stopRanks);
  const [world, setWorld] = useState(4);
  const [shards, setShards] = useState('8, 8, 0, 8');
  const parsed = shards.split(',').map((s) => Number(s.trim()));
  return (
    <section className="workspace" data-testid="ws-ranks">
      <header className="ws-header">
        <h2>Ranks</h2>
      </header>
      <FeatureGate feature="ranks">
        <div className="toolbar">
          <label className="field">
            <span>world size</span>
            <input type="number" min={1} max={16} value={world} onChange={(e) => setWorld(Number(e.target.value))} />
          </label>
          <label className="field">
            <span>shard sizes</span>
            <input value={shards} onChange={(e) => setShards(e.target.value)} />
          </label>
          <button className="primary" onClick={() => void start(world, parsed)}>
            Start
          </button>
          <button onClick={() => void step()}>Step</button>
          <button onClick={() => void stop()}>Stop</button>
        </div>
        <ErrorBox error={error} testId="ranks-error" />
        {!ranks ? (
          <Empty>Start a world of ranks running the built stack.</Empty>
        ) : (
          <div className="lanes">
            {ranks.lanes.map((l) => (
              <div key={l.rank} className={`lane ${l.alive ? '' : 'dead'}`}>
                <strong>rank {l.rank}</strong> {l.alive ? 'alive' : 'dead'} · {l.count} samples · {l.collectiveCalls}{' '}
                collectives · {fmtNum(l.collectiveMs, 1)} ms
                {l.error && <div className="error">{l.error}</div>}
                <ChannelBars title="local mean" values={l.localMean} />
                {l.alive && <button onClick={() => void kill(l.rank)}>Kill</button>}
              </div>
            ))}
            <ChannelBars title="combined mean" values={ranks.combinedMean} />
          </div>
        )}
      </FeatureGate>
    </section>
  );
}
