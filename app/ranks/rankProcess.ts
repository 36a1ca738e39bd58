/**
 * One rank process as the coordinator sees it: spawning (child_process, or Electron's utilityProcess
 * when the Electron main injects it), request/response over the control channel, the data plane
 * (fd-3 pipe or control-channel messages) and liveness.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import type { FromRank, ToRank, ToRankBody } from './protocol.js';
import type { IpcRequest, IpcResponse } from '../../engine/index.js';
import { encodeFrame, FrameDecoder } from './frames.js';

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
      build(o: object): Promise<{ outputFiles: { contents: Uint8Array }[] }>;
    };
    const r = await esbuild.build({
      entryPoints: [path.join(here, 'rankMain.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    const code = r.outputFiles[0]!.contents;
    // Named by content: every process of this code version shares one file, none piles up.
    const out = path.join(
      os.tmpdir(),
      `normscope-rank-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`,
    );
    if (!existsSync(out)) {
      const tmp = `${out}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, out);
    }
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

/**
 * Electron's utilityProcess.fork, injected by the Electron main process (app/ranks never imports
 * electron). Its children speak over process.parentPort; the rank then uses the channel data plane.
 */
export type UtilityFork = (
  modulePath: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; stdio: 'pipe'; serviceName: string; execArgv?: string[] },
) => {
  pid: number | undefined;
  stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', fn: (m: unknown) => void): unknown;
  on(event: 'exit', fn: (code: number) => void): unknown;
};

/** How ranks are started: child_process (fd or channel data plane), or Electron's utilityProcess. */
export type RankSpawner =
  { kind: 'child_process'; dataPlane?: 'fd' | 'channel' } | { kind: 'utilityProcess'; fork: UtilityFork };

/** What the coordinator needs from a rank's process, whichever way it was started. */
interface RankChild {
  pid: number | null;
  send(msg: unknown, done?: (err: Error | null) => void): void;
  kill(): void;
}

/** The last frame encoded: every member of a collective gets the same answer, so encode it once. */
let lastFrame: { header: IpcResponse; payload: Float64Array; frame: Buffer } | null = null;
function encodeShared(header: IpcResponse, payload: Float64Array): Buffer {
  if (lastFrame && lastFrame.header === header && lastFrame.payload === payload) return lastFrame.frame;
  lastFrame = { header, payload, frame: encodeFrame(header, payload) };
  return lastFrame.frame;
}

export class RankProcess {
  private readonly child: RankChild;
  /** The fd data plane's pipe (null for the channel data plane). */
  readonly data: Socket | null;
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();
  private stderrTail = '';
  readonly liveness: Liveness;
  /** Set by the coordinator when it kills the rank on purpose. */
  killedByCoordinator = false;
  readonly exited: Promise<void>;
  /** Receives the rank's collective requests (both data planes). */
  onCollective: (header: IpcRequest, payload: Float64Array) => void = () => {};
  private readonly decoder = new FrameDecoder<IpcRequest>();

  constructor(
    readonly rank: number,
    entry: { file: string; args: string[] },
    extraEnv: Record<string, string>,
    onExit: (rank: number, how: string) => void,
    spawner: RankSpawner = { kind: 'child_process' },
  ) {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, NORMSCOPE_RANK: String(rank) };
    let exitResolve: () => void = () => {};
    this.exited = new Promise((resolve) => (exitResolve = resolve));
    const ended = (how: string) => {
      if (!this.liveness.alive) return;
      this.liveness.alive = false;
      this.liveness.ended = how;
      const tail = this.stderrTail.trim()
        ? ` (stderr: ${this.stderrTail.trim().split('\n').slice(-3).join(' | ')})`
        : '';
      for (const w of this.waiters.values()) w.reject(new Error(`rank ${rank} ${how}${tail}`));
      this.waiters.clear();
      onExit(rank, how);
      exitResolve();
    };
    const stderr = (d: Buffer | string) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000);
    };
    if (spawner.kind === 'utilityProcess') {
      // utilityProcess runs JS only: the compiled or bundled entry, never `--import tsx`.
      const modulePath = entry.args[entry.args.length - 1]!;
      const up = spawner.fork(modulePath, [], {
        env: { ...env, NORMSCOPE_RANK_DATAPLANE: 'channel' },
        stdio: 'pipe',
        serviceName: `NormScope rank ${rank}`,
      });
      up.stderr?.on('data', stderr);
      up.on('message', (m) => this.receive(m as FromRank));
      up.on('exit', (code) => ended(`exited with code ${code}`));
      this.child = {
        pid: up.pid ?? null,
        send: (m, done) => (up.postMessage(m), done?.(null)),
        kill: () => void up.kill(),
      };
      this.data = null;
    } else {
      const fd = (spawner.dataPlane ?? 'fd') === 'fd';
      if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
      if (!fd) env.NORMSCOPE_RANK_DATAPLANE = 'channel';
      const cp: ChildProcess = spawn(entry.file, entry.args, {
        stdio: fd ? ['ignore', 'ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
        env,
      });
      cp.stderr!.on('data', stderr);
      cp.on('message', (m: FromRank) => this.receive(m));
      cp.on('exit', (code, signal) => ended(signal ? `was killed by signal ${signal}` : `exited with code ${code}`));
      cp.on('error', (e) => {
        this.stderrTail += `\nspawn error: ${e.message}`;
        ended(`could not start (${e.message})`);
      });
      this.child = {
        pid: cp.pid ?? null,
        send: (m, done) => {
          if (cp.connected) cp.send(m as never, (err) => done?.(err ?? null));
          else done?.(new Error("the rank's channel is closed"));
        },
        kill: () => void cp.kill('SIGKILL'),
      };
      this.data = fd ? (cp.stdio[3] as Socket) : null;
      this.data?.on('error', () => {});
      this.data?.on('data', (chunk: Buffer) => {
        try {
          for (const f of this.decoder.push(chunk)) this.onCollective(f.header, f.payload);
        } catch (e) {
          this.stderrTail += `\nmalformed collective frame: ${(e as Error).message}`;
          this.kill();
        }
      });
    }
    this.liveness = { rank, pid: this.child.pid, alive: true, ended: null, lastMessageAt: Date.now() };
  }

  private receive(m: FromRank): void {
    this.liveness.lastMessageAt = Date.now();
    if (m.type === 'collective') {
      this.onCollective(m.header, m.payload);
      return;
    }
    const w = this.waiters.get(m.id);
    if (w) {
      this.waiters.delete(m.id);
      w.resolve(m);
    }
  }

  /** Answers a collective on whichever data plane the rank uses. */
  replyCollective(header: IpcResponse, payload: Float64Array): void {
    if (!this.liveness.alive) return;
    if (this.data) {
      if (!this.data.destroyed) this.data.write(encodeShared(header, payload));
    } else {
      this.child.send({ type: 'collectiveReply', id: 0, header, payload } satisfies ToRank);
    }
  }

  /**
   * Sends a control message and resolves with the rank's answer. Rejects if the rank exits first,
   * or — so that nothing waits forever on a stuck rank — kills it when no answer comes in `timeoutMs`.
   */
  request(msg: ToRankBody, timeoutMs = 300_000): Promise<FromRank> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.liveness.alive) {
        reject(new Error(`rank ${this.rank} ${this.liveness.ended ?? 'is not running'}`));
        return;
      }
      const timer = setTimeout(() => {
        if (!this.waiters.delete(id)) return;
        reject(new Error(`rank ${this.rank} did not answer ${msg.type} within ${timeoutMs} ms and was killed`));
        this.kill();
      }, timeoutMs);
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer);
          fn(v);
        };
      this.waiters.set(id, { resolve: settle(resolve), reject: settle(reject) });
      this.child.send({ ...msg, id } as ToRank, (err) => {
        const w = this.waiters.get(id);
        if (err && w && this.waiters.delete(id))
          w.reject(new Error(`rank ${this.rank}: cannot send ${msg.type}: ${err.message}`));
      });
    });
  }

  /** Asks the rank to exit (no answer expected). */
  shutdown(): void {
    if (this.liveness.alive) this.child.send({ type: 'shutdown', id: 0 } satisfies ToRank);
  }

  kill(): void {
    if (!this.liveness.alive) return;
    this.killedByCoordinator = true;
    this.child.kill();
  }

  get stderr(): string {
    return this.stderrTail;
  }
}
