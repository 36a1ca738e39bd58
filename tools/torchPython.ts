/**
 * Finds a Python interpreter that can import torch, the oracle for parity tests and benchmarks.
 * Order: $NORMSCOPE_PYTHON, then `python3` on PATH, then Debian's /usr/bin/python3 (where
 * `apt-get install python3-torch` puts torch, which a pyenv `python3` on PATH does not see).
 */
import { spawnSync } from 'node:child_process';

let cached: string | null | undefined;

export function findTorchPython(): string | null {
  if (cached !== undefined) return cached;
  const candidates = [process.env.NORMSCOPE_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (c): c is string => !!c,
  );
  cached = null;
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) {
      cached = py;
      break;
    }
  }
  return cached;
}

/** Runs a Python script with the torch interpreter; returns stdout. Throws with stderr on failure. */
export function runTorchPython(script: string, input?: string, timeoutMs = 300_000): string {
  const py = findTorchPython();
  if (!py) throw new Error('no python3 with torch found (apt-get install python3-torch)');
  const r = spawnSync(py, ['-c', script], {
    input,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 30,
    env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1' },
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
