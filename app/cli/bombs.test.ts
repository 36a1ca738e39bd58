// Every checkpoint command on every file of the bomb corpus (tools/bombCorpus.ts), in a child process
// with a V8 heap limit and a wall-clock limit: each must end with exit 0 or 2, within a few hundred MB,
// writing nothing larger than a small multiple of its input. At 141d4ce the same files ran for minutes,
// took gigabytes, wrote tens of GB or crashed with a RangeError (issue 17).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../engine/testing.js';
import { EXPANSION_SLACK, DEFAULT_BUDGETS } from '../../engine/testing.js';
import { bombCorpus } from '../../tools/bombCorpus.js';
import type { BombRunLine } from '../../tools/bombRun.js';

const RUNNER = path.resolve('tools/bombRun.ts');
/** Seven commands per file; generous for a loaded 2-core machine, far below the minutes of 141d4ce. */
const WALL_MS = 90_000;
const HEAP_MB = 512;
const PEAK_RSS_MB = 1024;

let dir = '';
beforeAll(() => {
  dir = tempDir('normscope-bombs-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(file: string): BombRunLine[] {
  const out = path.join(dir, `${path.basename(file)}.out`);
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--import', 'tsx', RUNNER, file, out], {
    encoding: 'utf8',
    timeout: WALL_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`runner ended with ${r.status ?? r.signal}: ${r.stderr.slice(-2000)}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as BombRunLine);
}

/** Exit codes a file must give, where it matters which (the rest: 0 or 2). */
const EXPECT: Record<string, Partial<Record<string, number>>> = {
  // Views are summarised over their storage footprint and written as views.
  'expand_f32.pt': { inspect: 0, 'inspect --json': 0, 'convert .pt': 0 },
  'expand_f64.pt': { inspect: 0, 'inspect --json': 0, 'convert .pt': 0 },
  'expand_bn_2e8.pt': { inspect: 0, 'inspect --header-only': 0, 'convert .pt': 0 },
  // Shared subtrees are pickled once.
  'dag_40.pt': { 'convert .pt': 0 },
  'metadata_cyclic.pt': { inspect: 0, 'convert .pt': 0 },
  'refs_20000.pt': { inspect: 0, migrate: 0, 'convert .pt': 0, 'convert .safetensors': 2 },
  'tensors_130k.pt': { inspect: 0, 'inspect --json': 0 },
  'bytearray_800.pt': { inspect: 0, 'convert .pt': 0 },
  'bad_magic_legacy.pt': { inspect: 2 },
  'overlap.safetensors': { inspect: 2 },
  'gap.safetensors': { inspect: 2 },
  'corrupt_record.pt': { inspect: 2, 'inspect --header-only': 0 },
  'deflate_bomb.pt': { inspect: 2 },
};

describe('bomb corpus: every command, bounded', () => {
  for (const bomb of bombCorpus(true)) {
    it(`${bomb.name} (${bomb.bytes.length} bytes): ${bomb.note}`, { timeout: WALL_MS + 30_000 }, () => {
      const file = path.join(dir, bomb.name);
      fs.writeFileSync(file, bomb.bytes);
      const lines = run(file);
      expect(lines.map((l) => l.command)).toEqual([
        'inspect',
        'inspect --json',
        'inspect --header-only',
        'diff',
        'migrate',
        'convert .pt',
        'convert .safetensors',
      ]);
      // One line per file for the record: the slowest command, peak memory, exit codes.
      console.log(
        `${bomb.name}: ${lines.map((l) => `${l.command}=${l.code}`).join(' ')}; slowest ${Math.max(...lines.map((l) => l.ms))} ms, peak ${Math.max(...lines.map((l) => l.peakRssMB))} MB`,
      );
      const outLimit = DEFAULT_BUDGETS.maxExpansion * bomb.bytes.length + EXPANSION_SLACK;
      for (const l of lines) {
        const what = `${bomb.name} ${l.command}: ${l.stderr}`;
        expect([0, 2], what).toContain(l.code);
        expect(l.peakRssMB, what).toBeLessThan(PEAK_RSS_MB);
        if (l.outBytes !== null) expect(l.outBytes, what).toBeLessThanOrEqual(outLimit);
        // A refusal says which budget or check, never a raw RangeError.
        if (l.code === 2) expect(l.stderr, what).not.toMatch(/RangeError|Maximum call stack|internal error/);
        if (/BudgetError/.test(l.stderr)) expect(l.stderr, what).toMatch(/raise it with --max-[a-z]+ N/);
        const want = EXPECT[bomb.name]?.[l.command];
        if (want !== undefined) expect(l.code, what).toBe(want);
      }
    });
  }
});

describe('budget options', () => {
  const BIN = path.resolve('bin/normscope.mjs');
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NORMSCOPE_FROM_SOURCE: '1' },
      timeout: WALL_MS,
    });

  it(
    'a refusal names the option; the option raises the budget; a bad value is a usage error',
    { timeout: 3 * WALL_MS },
    () => {
      const deep = bombCorpus(true).find((b) => b.name === 'metadata_deep.pt')!;
      const file = path.join(dir, 'budget_' + deep.name);
      fs.writeFileSync(file, deep.bytes);
      const refused = cli(['inspect', file]);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/BudgetError: nesting depth budget exceeded.*raise it with --max-depth N/);
      const raised = cli(['inspect', file, '--max-depth', '200000']);
      expect(raised.stderr).not.toMatch(/BudgetError/);
      expect(raised.status).toBe(0);
      expect(raised.stdout).toMatch(/bn\.running_var/);
      const bad = cli(['inspect', file, '--max-depth', 'lots']);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/--max-depth needs a positive number/);
    },
  );
});
