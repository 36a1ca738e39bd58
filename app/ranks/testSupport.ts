/** Shared helpers for the ranks tests: deterministic shards, wire tensors, backend availability. */
import type { WireTensor } from './protocol.js';
import { glooAvailability } from './glooAddon.js';
import type { ProcessGroupBackend } from '../../engine/index.js';
import type { RankSpawner } from './rankProcess.js';

/** Backends to test; gloo is skipped with a printed reason when its addon is not built. */
export function testBackends(): ProcessGroupBackend[] {
  const g = glooAvailability();
  if (!g.available) {
    console.log(`[ranks tests] skipping the gloo backend: ${g.reason}`);
    return ['ipc'];
  }
  return ['ipc', 'gloo'];
}

export interface TestMode {
  name: string;
  backend: ProcessGroupBackend;
  spawner?: RankSpawner;
}

/**
 * ipc over the fd pipe, ipc over control-channel messages (the data plane Electron's utilityProcess
 * ranks use, exercised here under child_process), and gloo when built.
 */
export function testModes(): TestMode[] {
  const modes: TestMode[] = [
    { name: 'ipc', backend: 'ipc' },
    { name: 'ipc (channel data plane)', backend: 'ipc', spawner: { kind: 'child_process', dataPlane: 'channel' } },
  ];
  if (testBackends().includes('gloo')) modes.push({ name: 'gloo', backend: 'gloo' });
  return modes;
}

/** Deterministic pseudo-random values (a small LCG, so tests need no engine RNG). */
export function values(n: number, seed: number): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push((s / 2 ** 32) * 4 - 2 + Math.sin(i) * 0.5);
  }
  return out;
}

export function wire(shape: number[], data: number[], dtype: 'float32' | 'float64' = 'float32'): WireTensor {
  return { shape, dtype, data: dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data) };
}

/** Shard r of a batch: shape [counts[r], ...rest]. */
export function shards(
  counts: number[],
  rest: number[],
  seed: number,
  dtype: 'float32' | 'float64' = 'float32',
): WireTensor[] {
  const per = rest.reduce((a, b) => a * b, 1);
  return counts.map((n, r) => wire([n, ...rest], values(n * per, seed * 100 + r), dtype));
}

export function concatWire(parts: WireTensor[]): { shape: number[]; data: number[] } {
  const rest = parts[0]!.shape.slice(1);
  const n = parts.reduce((a, p) => a + p.shape[0]!, 0);
  return { shape: [n, ...rest], data: parts.flatMap((p) => [...(p.data as Float32Array)]) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])));
  return m;
}
