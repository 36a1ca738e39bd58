// Issue 17: a convert or migrate killed by SIGINT/SIGTERM mid-write leaves no `.NAME.<pid>.<ts>.tmp`
// behind (a watchdog process removes it), and temp files left by a process that is gone are removed
// at the next start. At 141d4ce each killed write left its temp file (tens of GB in hostile runs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeStaleTempFiles, writeFileAtomic } from './fileAdapter.js';
import { BudgetError } from './budgets.js';
import { tempDir } from './testUtil.js';

let dir = '';
beforeAll(() => {
  dir = tempDir('normscope-temp-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const temps = (d: string) => fs.readdirSync(d).filter((n) => n.endsWith('.tmp'));

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** Waits (bounded) for `cond`; the bound is a safety net, not an assertion about speed. */
async function until(cond: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('temp files of atomic writes', () => {
  it('stale temp files of a dead process are removed at the next start; live or foreign ones are kept', () => {
    const d = fs.mkdtempSync(path.join(dir, 'stale-'));
    const dead = `.out.pt.${deadPid()}.${Date.now() - 60_000}.tmp`;
    const live = `.out.pt.${process.ppid}.${Date.now()}.tmp`; // our parent is alive
    const mineOld = `.out.pt.${process.pid}.${Date.now() - 3_600_000 - process.uptime() * 1000}.tmp`;
    const foreign = 'notes.tmp';
    for (const n of [dead, live, mineOld, foreign]) fs.writeFileSync(path.join(d, n), 'x');
    const removed = removeStaleTempFiles(d).map((p) => path.basename(p));
    expect(removed.sort()).toEqual([dead, mineOld].sort());
    expect(temps(d).sort()).toEqual([foreign, live].sort());
  });

  it('a write past the temp-space budget is refused and its temp file removed', () => {
    const d = fs.mkdtempSync(path.join(dir, 'budget-'));
    const target = path.join(d, 'out.pt');
    expect(() => writeFileAtomic(target, (sink) => sink.write(new Uint8Array(2048)), { maxTempBytes: 1024 })).toThrow(
      BudgetError,
    );
    expect(fs.readdirSync(d)).toEqual([]);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} during a write: the temp file is removed, the target never appears`, async () => {
      const d = fs.mkdtempSync(path.join(dir, `${signal}-`));
      const target = path.join(d, 'out.pt');
      const adapter = path.resolve('engine/io/fileAdapter.ts');
      // The child writes a first chunk, then blocks inside the synchronous producer, as a long
      // convert does: no JavaScript signal handler could run there.
      const script = path.join(d, 'writer.mts');
      fs.writeFileSync(
        script,
        `import { setTempFileGuard, writeFileAtomic } from ${JSON.stringify(adapter)};
setTempFileGuard(true);
writeFileAtomic(${JSON.stringify(target)}, (sink) => {
  sink.write(new Uint8Array(1 << 20));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});
`,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      await until(() => temps(d).length === 1, 'the temp file');
      child.kill(signal);
      await exited;
      await until(() => temps(d).length === 0, 'the watchdog to remove the temp file');
      expect(fs.existsSync(target)).toBe(false);
    });
  }
});
