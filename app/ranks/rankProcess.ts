/**
 * One rank process as the coordinator sees it: spawning (child_process; Electron runs the same entry
 * with ELECTRON_RUN_AS_NODE because utilityProcess offers no extra pipe for the synchronous data
 * plane), request/response over the control channel, the fd-3 data pipe, and liveness.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import type { FromRank, ToRank, ToRankBody } from './protocol.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * How to start the rank entry: $NORMSCOPE_RANK_ENTRY, the compiled rankMain.js next to this file,
 * or — when running from the TypeScript sources — a one-file bundle made with esbuild (tsx's own
 * compiler; a rank then starts in well under a second instead of several), else tsx on the source.
 */
let bundled: Promise<string | null> | null = null;

async function bundleRankEntry(): Promise<string | null> {
  try {
    const esbuild = (await import('esbuild' as string)) as {
      build(o: object): Promise<unknown>;
    };
    const out = path.join(os.tmpdir(), `normscope-rank-${process.pid}-${Date.now()}.mjs`);
    await esbuild.build({
      entryPoints: [path.join(here, 'rankMain.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: out,
      logLevel: 'silent',
    });
    process.once('exit', () => rmSync(out, { force: true }));
    return out;
  } catch {
    return null;
  }
}

export async function rankEntryCommand(): Promise<{ file: string; args: string[] }> {
  if (process.env.NORMSCOPE_RANK_ENTRY) return { file: process.execPath, args: [process.env.NORMSCOPE_RANK_ENTRY] };
  const js = path.join(here, 'rankMain.js');
  if (import.meta.url.endsWith('.js') && existsSync(js)) return { file: process.execPath, args: [js] };
  bundled ??= bundleRankEntry();
  const b = await bundled;
  if (b) return { file: process.execPath, args: [b] };
  return { file: process.execPath, args: ['--import', 'tsx', path.join(here, 'rankMain.ts')] };
}

export interface Liveness {
  rank: number;
  pid: number | null;
  alive: boolean;
  /** How it ended: "exited with code 3", "was killed by signal SIGKILL". */
  ended: string | null;
  lastMessageAt: number;
}

type Waiter = { resolve: (m: FromRank) => void; reject: (e: Error) => void };

export class RankProcess {
  readonly child: ChildProcess;
  readonly data: Socket;
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();
  private stderrTail = '';
  readonly liveness: Liveness;
  /** Set by the coordinator when it kills the rank on purpose. */
  killedByCoordinator = false;
  readonly exited: Promise<void>;

  constructor(
    readonly rank: number,
    entry: { file: string; args: string[] },
    extraEnv: Record<string, string>,
    onExit: (rank: number, how: string) => void,
  ) {
    const { file, args } = entry;
    const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, NORMSCOPE_RANK: String(rank) };
    if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    this.child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      env,
    });
    this.data = this.child.stdio[3] as Socket;
    this.data.on('error', () => {});
    this.liveness = { rank, pid: this.child.pid ?? null, alive: true, ended: null, lastMessageAt: Date.now() };
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-4000);
    });
    this.child.on('message', (m: FromRank) => {
      this.liveness.lastMessageAt = Date.now();
      const w = this.waiters.get(m.id);
      if (w) {
        this.waiters.delete(m.id);
        w.resolve(m);
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        const how = signal ? `was killed by signal ${signal}` : `exited with code ${code}`;
        this.liveness.alive = false;
        this.liveness.ended = how;
        const tail = this.stderrTail.trim() ? ` (stderr: ${this.stderrTail.trim().split('\n').slice(-3).join(' | ')})` : '';
        for (const w of this.waiters.values()) w.reject(new Error(`rank ${rank} ${how}${tail}`));
        this.waiters.clear();
        onExit(rank, how);
        resolve();
      });
    });
    this.child.on('error', (e) => {
      this.stderrTail += `\nspawn error: ${e.message}`;
    });
  }

  /** Sends a control message and resolves with the rank's answer (rejects if the rank exits first). */
  request(msg: ToRankBody): Promise<FromRank> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.liveness.alive) {
        reject(new Error(`rank ${this.rank} ${this.liveness.ended ?? 'is not running'}`));
        return;
      }
      this.waiters.set(id, { resolve, reject });
      this.child.send({ ...msg, id } as ToRank, (err) => {
        if (err && this.waiters.delete(id)) reject(new Error(`rank ${this.rank}: cannot send ${msg.type}: ${err.message}`));
      });
    });
  }

  kill(): void {
    if (!this.liveness.alive) return;
    this.killedByCoordinator = true;
    this.child.kill('SIGKILL');
  }

  get stderr(): string {
    return this.stderrTail;
  }
}
