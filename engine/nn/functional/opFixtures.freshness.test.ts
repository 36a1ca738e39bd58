/**
 * The committed operator fixtures (./fixtures/*.json) must be what tools/make_op_fixtures.py writes:
 * with a python3 that has the fixtures' torch and onnx versions, the generator runs into a temporary
 * folder and each file is compared with the committed one (strings exactly, numbers within
 * 1e-6·max(1,|b|): another CPU's vector kernels may round the last bits differently). Skips with a
 * printed reason otherwise.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findTorchPython } from '../../../tools/torchPython.js';

const GENERATOR = fileURLToPath(new URL('../../../tools/make_op_fixtures.py', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length > 10) return;
  if (typeof a === 'number' && typeof b === 'number') {
    if (!(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)))) out.push(`${path}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: length ${a.length} vs ${b.length}`);
    else a.forEach((v, i) => diff(v, b[i], `${path}[${i}]`, out));
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.join('\u0000') !== kb.join('\u0000')) out.push(`${path}: keys ${ka.join(',')} vs ${kb.join(',')}`);
    else
      for (const k of ka)
        diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else if (a !== b) out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}

const committed = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort();
const header = JSON.parse(readFileSync(join(FIXTURES, committed[0]!), 'utf8')) as { torch: string; onnx: string };
const python = findTorchPython();
const versions = python
  ? spawnSync(python, ['-c', 'import torch, onnx; print(torch.__version__, onnx.__version__)'], {
      encoding: 'utf8',
      timeout: 120_000,
    }).stdout?.trim()
  : null;
const skipReason = !python
  ? 'no python3 that can import torch'
  : versions !== `${header.torch} ${header.onnx}`
    ? `torch/onnx ${versions || 'missing'} differ from the fixtures' ${header.torch} ${header.onnx}`
    : null;
if (skipReason) console.log(`operator fixture freshness: skipped — ${skipReason}`);

describe.skipIf(skipReason !== null)('operator fixtures are what the generator writes', () => {
  const out = mkdtempSync(join(tmpdir(), 'normscope-op-fixtures-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('regenerates every committed file with the same content', () => {
    const r = spawnSync(python!, [GENERATOR, '--out', out], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1', PYTHONWARNINGS: 'ignore' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(committed);
    const problems: string[] = [];
    for (const f of committed) {
      diff(
        JSON.parse(readFileSync(join(out, f), 'utf8')),
        JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')),
        f,
        problems,
      );
    }
    expect(problems).toEqual([]);
  }, 300_000);
});

it('keeps the operator fixtures under 1 MB in total', () => {
  const total = committed.reduce((n, f) => n + readFileSync(join(FIXTURES, f)).length, 0);
  expect(total).toBeLessThan(1024 * 1024);
});
