// The GPU machine's Node-path check (nodeCheck.ts) must be right before a GPU session runs it: here it
// runs with the CPU backend checked against the TypeScript reference, and with its default pair (CUDA
// against CPU) it must say why CUDA is unavailable and exit cleanly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNativeBackends } from '../../engine/backend/nativeLoader.js';
import { expectAllPassed, readReport, runNodeCheck } from './nodeCheckRun.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-node-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const native = loadNativeBackends();

describe('native/gpu-check/nodeCheck.ts', () => {
  it.skipIf(!native.cpu.backend)('passes with the CPU backend checked against the TypeScript reference', () => {
    const out = join(dir, 'cpu-ts.json');
    const r = runNodeCheck(out, ['--pair', 'cpu,ts']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const report = readReport(out);
    expectAllPassed(report);
    expect(report.residency).toBe('skipped: cpu keeps tensors on the host');
  });

  it.skipIf(native.cuda.backend !== null)('without a GPU, the default check says why CUDA is unavailable', () => {
    const out = join(dir, 'cuda.json');
    const r = runNodeCheck(out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('cuda through Node is unavailable here:');
    expect(readReport(out).cuda).toBe(native.cuda.reason);
  });
});
