/**
 * Test fixture (coordinatorDeath.test.ts): a coordinator process that starts W ranks, prints their
 * pids, starts a step in which rank 1 stalls (so rank 0 blocks inside a collective), and then waits
 * to be killed. Not part of the app.
 */
import { RankCoordinator } from './coordinator.js';
import { shards } from './testSupport.js';

const backend = (process.argv[2] ?? 'ipc') as 'ipc' | 'gloo';
const c = new RankCoordinator({ world: 2, backend, timeoutMs: 60_000 });
await c.start();
await c.build({ layers: [{ type: 'BatchNorm1d', numFeatures: 2 }] });
process.stdout.write(JSON.stringify({ pids: c.liveness().map((l) => l.pid) }) + '\n');
void c.step({ step: 1, inputs: shards([2, 2], [2], 1), fault: { rank: 1, kind: 'sleep', ms: 1500 } });
setInterval(() => {}, 1000);
