/**
 * The real-model fixtures (tools/make_model_fixtures.py) on demand: generated with the torch
 * interpreter the first time a test asks, cached under .tmp/models/<hash of the generator>/ (gitignored:
 * the checkpoints are tens of MB each), regenerated when the generator changes. Test files running in
 * parallel share one generation through a lock directory; a stale lock (its process gone) is taken over.
 * Without python3 + torch + torchvision + onnx the caller gets a reason to skip with.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTorchPython } from './torchPython.js';

export const GENERATOR = fileURLToPath(new URL('./make_model_fixtures.py', import.meta.url));
const ROOT = fileURLToPath(new URL('../.tmp/models/', import.meta.url));

export interface ModelEntry {
  opset: number;
  checkpointLayout: 'training-dict' | 'plain' | 'module-prefix';
  /** Where the state dict sits in checkpoint.pt ('' for the root). */
  stateDictPath: string;
  /** Exported with dynamic_axes on the batch dimension (the others declare batch 2). */
  dynamicBatch: boolean;
  parameters: number;
  batchNorm: number;
  dropout: number;
  /** Seconds the SGD references took (float32 first loss, float64 steps). */
  sgdSeconds: number;
  seconds: number;
}

export interface ModelManifest {
  torch: string;
  torchvision: string;
  size: number[];
  recalBatch: number;
  sgd: { steps: number; lr: number; loss: 'cross-entropy' };
  trainPasses: number;
  models: Record<string, ModelEntry>;
  seconds: number;
}

export type ModelFixtures = { dir: string; manifest: ModelManifest; python: string } | { skip: string };

function generatorHash(): string {
  return createHash('sha256').update(fs.readFileSync(GENERATOR)).digest('hex').slice(0, 16);
}

/** Whether the interpreter also has torchvision and onnx (torch alone is not enough here). */
function missingModules(py: string): string | null {
  const r = spawnSync(py, ['-c', 'import torchvision, onnx'], { encoding: 'utf8', timeout: 120_000 });
  return r.status === 0 ? null : (r.stderr.trim().split('\n').pop() ?? 'import failed');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Takes the lock (true) or reports that a live process holds it (false). */
function tryLock(lock: string): boolean {
  try {
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const pid = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || NaN);
    if (Number.isInteger(pid) && processAlive(pid)) return false;
    if (!Number.isInteger(pid)) {
      // Just created by another process that has not written its pid yet: give it a moment.
      const age = Date.now() - fs.statSync(lock).mtimeMs;
      if (age < 10_000) return false;
    }
    fs.rmSync(lock, { recursive: true, force: true });
    return tryLock(lock);
  }
}

function readManifest(dir: string): ModelManifest | null {
  const file = path.join(dir, 'manifest.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ModelManifest) : null;
}

let memo: ModelFixtures | undefined;

/**
 * The fixture folder (generating it when needed; about 30 s and 0.5 GB), or why it cannot exist here.
 * Synchronous on purpose: call it at the top of a test file to decide `describe.skipIf`.
 */
export function modelFixtures(): ModelFixtures {
  if (memo) return memo;
  const python = findTorchPython();
  if (!python) return (memo = { skip: 'no python3 that can import torch (apt-get install python3-torch)' });
  const missing = missingModules(python);
  if (missing) return (memo = { skip: `${python} cannot import torchvision and onnx: ${missing}` });
  const hash = generatorHash();
  const dir = path.join(ROOT, hash);
  fs.mkdirSync(ROOT, { recursive: true });
  const lock = path.join(ROOT, `${hash}.lock`);
  for (;;) {
    const done = readManifest(dir);
    if (done) return (memo = { dir, manifest: done, python });
    if (tryLock(lock)) break;
    sleepMs(500);
  }
  try {
    const done = readManifest(dir);
    if (done) return (memo = { dir, manifest: done, python });
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const r = spawnSync(python, ['-W', 'ignore', GENERATOR, '--out', tmp], {
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    if (r.status !== 0) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new Error(`${GENERATOR} failed (${r.status ?? r.signal}): ${r.stderr.slice(-4000)}`);
    }
    fs.renameSync(tmp, dir);
    // Older generations are half a gigabyte each: keep only this one.
    for (const name of fs.readdirSync(ROOT)) {
      if (name !== hash && /^[0-9a-f]{16}$/.test(name))
        fs.rmSync(path.join(ROOT, name), { recursive: true, force: true });
    }
    return (memo = { dir, manifest: readManifest(dir)!, python });
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export interface TorchStateCheck {
  missing: string[];
  unexpected: string[];
  bnVersions: number[] | null;
  /** With a reference only. */
  maxStateRelErr?: number;
  maxOutputRelErr?: number;
}

/**
 * Runs the generator's --check-state: torch.load(weights_only=True) + load_state_dict(strict=True) into
 * the torchvision model ('tiny' for the small CLI model), then with `refFile` a comparison of the
 * BatchNorm buffers and the eval output. Throws with torch's error when the load fails.
 */
export function checkStateInTorch(
  fx: { dir: string; python: string },
  model: string,
  stateFile: string,
  refFile?: string,
): TorchStateCheck {
  const ref = refFile ? ['--ref', refFile] : [];
  const r = spawnSync(
    fx.python,
    ['-W', 'ignore', GENERATOR, '--check-state', model, '--fixtures', fx.dir, '--state', stateFile, ...ref],
    { encoding: 'utf8', timeout: 300_000, env: { ...process.env, OMP_NUM_THREADS: '1' } },
  );
  if (r.status !== 0) throw new Error(`torch refused ${stateFile}: ${r.stderr.slice(-4000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchStateCheck;
}
