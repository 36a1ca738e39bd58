// Runs nodeCheck.ts in a child process and checks its report: shared by nodeCheck.test.ts (here, CPU
// against TypeScript) and the emulated-CUDA stage (native/cuda-emu/emulatedCuda.emu.test.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

export interface NodeCheckReport {
  cases: { ok: boolean }[];
  typedErrors: boolean;
  failed: number;
  cuda: string;
  /** The stack residency check (residencyCheck.ts), or why it was skipped. */
  residency: { ok: boolean; perStep: { up: number; boundaryUp: number }[] } | string;
}

export function runNodeCheck(outFile: string, args: string[] = []) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'native/gpu-check/nodeCheck.ts', outFile, ...args], {
    encoding: 'utf8',
    timeout: 240_000,
  });
}

export function readReport(outFile: string): NodeCheckReport {
  return JSON.parse(readFileSync(outFile, 'utf8')) as NodeCheckReport;
}

/** Every case (9 shapes × 2 dtypes) within tolerance, errors typed, nothing failed. */
export function expectAllPassed(report: NodeCheckReport): void {
  expect(report.cases).toHaveLength(18);
  expect(report.cases.every((c) => c.ok)).toBe(true);
  expect(report.typedErrors).toBe(true);
  expect(report.failed).toBe(0);
}
