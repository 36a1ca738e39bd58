/**
 * No orphans: when the coordinator dies (SIGKILL, no clean-up), its ranks exit on their own — the
 * idle ones when their control channel closes, the one blocked inside a collective when its data
 * pipe reaches end of file (ipc) or its peers vanish / its timeout passes (gloo).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testBackends } from './testSupport.js';

const fixture = fileURLToPath(new URL('./orphanFixture.ts', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each(testBackends())('coordinator death over %s', (backend) => {
  it('leaves no rank process behind', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, backend], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pids = await new Promise<number[]>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const line = buf.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { pids: number[] }).pids);
      });
      child.on('exit', (code) => reject(new Error(`fixture exited early (${code})`)));
    });
    expect(pids.every(alive)).toBe(true);
    await new Promise((r) => setTimeout(r, 300)); // rank 0 is now blocked in the step's all_gather
    child.kill('SIGKILL');
    const deadline = Date.now() + 20_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const left = pids.filter(alive);
    for (const pid of left) process.kill(pid, 'SIGKILL'); // never leave them running, even on failure
    expect(left).toEqual([]);
  }, 60_000);
});
