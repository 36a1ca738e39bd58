/**
 * Runs every checkpoint command of the CLI on one file, in this process, one after another, and prints
 * one JSON line per command: exit code, wall time, peak resident memory so far (VmHWM) and the size of
 * what it wrote. app/cli/bombs.test.ts spawns it per bomb with a V8 heap limit and a wall-clock limit;
 * running the commands in one process keeps 20 files × 7 commands from costing 140 process starts.
 *
 *   node --import tsx tools/bombRun.ts FILE OUTDIR
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../app/cli/main.js';

export interface BombRunLine {
  command: string;
  code: number;
  ms: number;
  peakRssMB: number;
  outBytes: number | null;
  stderr: string;
}

function peakRssMB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: the current RSS is the best there is
  }
  return process.memoryUsage().rss / 1024 ** 2;
}

async function main(): Promise<void> {
  const [file, outDir] = process.argv.slice(2) as [string, string];
  fs.mkdirSync(outDir, { recursive: true });
  const out = (name: string) => path.join(outDir, name);
  const commands: [string, string[], string | null][] = [
    ['inspect', ['inspect', file], null],
    ['inspect --json', ['inspect', file, '--json'], null],
    ['inspect --header-only', ['inspect', file, '--header-only'], null],
    ['diff', ['diff', file, file, '--json'], null],
    ['migrate', ['migrate', file, out('migrated.pt')], out('migrated.pt')],
    ['convert .pt', ['convert', file, out('converted.pt')], out('converted.pt')],
    ['convert .safetensors', ['convert', file, out('converted.safetensors')], out('converted.safetensors')],
  ];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  for (const [name, argv, written] of commands) {
    let stderr = '';
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      if (stderr.length < 2000) stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    const t0 = performance.now();
    let code: number;
    try {
      code = await runCli(argv);
    } catch (e) {
      code = -1;
      stderr += `internal error: ${(e as Error).stack ?? String(e)}`;
    } finally {
      process.stdout.write = realOut;
      process.stderr.write = realErr;
    }
    const line: BombRunLine = {
      command: name,
      code,
      ms: Math.round(performance.now() - t0),
      peakRssMB: Math.round(peakRssMB()),
      outBytes: written && fs.existsSync(written) ? fs.statSync(written).size : null,
      stderr: stderr.trim(),
    };
    realOut(`${JSON.stringify(line)}\n`);
  }
}

await main();
