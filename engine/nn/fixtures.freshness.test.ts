/**
 * The committed parity fixtures must be what tools/make_parity_fixtures.py writes: when a python3
 * with the same torch version as the fixtures is found, the generator runs into a temporary folder
 * and every file is compared with the committed one (structure, keys, strings and error texts
 * exactly; numbers within 1e-6·max(1,|b|), since another CPU's vector kernels may round the last
 * bits differently). Skips with a printed reason otherwise.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findTorchPython } from '../../tools/torchPython.js';
import { loadFixture } from './testing/fixtures.js';

const GENERATOR = fileURLToPath(new URL('../../tools/make_parity_fixtures.py', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

function torchVersion(py: string): string | null {
  const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Differences between two parsed JSON values (paths), numbers with a tolerance. */
function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length > 10) return;
  if (typeof a === 'number' && typeof b === 'number') {
    if (!(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)))) out.push(`${path}: ${a} vs ${b}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: length ${a.length} vs ${b.length}`);
    else a.forEach((v, i) => diff(v, b[i], `${path}[${i}]`, out));
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.join('\u0000') !== kb.join('\u0000')) out.push(`${path}: keys ${ka.join(',')} vs ${kb.join(',')}`);
    else
      for (const k of ka)
        diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
    return;
  }
  if (a !== b) out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}

const python = findTorchPython();
const fixtureTorch = loadFixture('init.json').torch;
const version = python ? torchVersion(python) : null;
const skipReason = !python
  ? 'no python3 that can import torch'
  : version !== fixtureTorch
    ? `torch ${version} differs from the fixtures' torch ${fixtureTorch}`
    : null;
if (skipReason) console.log(`fixture freshness: skipped — ${skipReason}`);

describe.skipIf(skipReason !== null)('parity fixtures are what the generator writes', () => {
  const out = mkdtempSync(join(tmpdir(), 'normscope-fixtures-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('regenerates every committed fixture file with the same content', () => {
    const r = spawnSync(python!, [GENERATOR, '--out', out], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const committed = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(readdirSync(out).sort()).toEqual(committed);
    const problems: string[] = [];
    for (const f of committed) {
      const fresh = JSON.parse(readFileSync(join(out, f), 'utf8')) as unknown;
      const old = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as unknown;
      diff(fresh, old, f, problems);
    }
    expect(problems).toEqual([]);
  }, 300_000); // the generator imports torch and replays every case; slow on a loaded CI machine
});

it('keeps the committed parity fixtures under 2 MB in total', () => {
  const total = readdirSync(FIXTURES).reduce((n, f) => n + readFileSync(join(FIXTURES, f)).length, 0);
  expect(total).toBeLessThan(2 * 1024 * 1024);
});
