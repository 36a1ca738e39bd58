/**
 * Rank processes for a coordinator that runs on a worker thread (the host) while only the Electron
 * main thread can call utilityProcess.fork (and packaged builds turn the RunAsNode fuse off, so
 * child_process cannot start Electron as Node). The worker gets a UtilityFork stand-in that turns each
 * fork, postMessage and kill into a message to the main thread; the main thread runs the real fork and
 * sends back each child's pid, messages, stderr and exit. No Electron import: main passes its fork in.
 *
 * Each hop is a structured clone, so Float64Array payloads keep their type on the way.
 */
import { PassThrough } from 'node:stream';
import type { UtilityFork } from './rankProcess.js';

type ForkOptions = Parameters<UtilityFork>[2];

/** Worker → main. */
export type ForkCommand =
  | { t: 'rankFork'; op: 'fork'; id: number; modulePath: string; args: string[]; options: ForkOptions }
  | { t: 'rankFork'; op: 'post'; id: number; message: unknown }
  | { t: 'rankFork'; op: 'kill'; id: number };

/** Main → worker. */
export type ForkEvent =
  | { t: 'rankForkEvent'; id: number; ev: 'message'; message: unknown }
  | { t: 'rankForkEvent'; id: number; ev: 'stderr'; text: string }
  | { t: 'rankForkEvent'; id: number; ev: 'exit'; code: number };

export const isForkCommand = (m: unknown): m is ForkCommand =>
  typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'rankFork';
export const isForkEvent = (m: unknown): m is ForkEvent =>
  typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'rankForkEvent';

/** Main-thread side: runs the real fork for the worker's commands. */
export function serveForks(fork: UtilityFork, send: (e: ForkEvent) => void) {
  const children = new Map<number, ReturnType<UtilityFork>>();
  return {
    handle(c: ForkCommand): void {
      if (c.op === 'fork') {
        if (children.has(c.id)) return;
        let child: ReturnType<UtilityFork>;
        try {
          child = fork(c.modulePath, c.args, c.options);
        } catch (e) {
          send({ t: 'rankForkEvent', id: c.id, ev: 'stderr', text: `fork failed: ${(e as Error).message}\n` });
          send({ t: 'rankForkEvent', id: c.id, ev: 'exit', code: -1 });
          return;
        }
        children.set(c.id, child);
        child.stderr?.on('data', (d: Buffer | string) =>
          send({ t: 'rankForkEvent', id: c.id, ev: 'stderr', text: d.toString() }),
        );
        child.on('message', (message) => send({ t: 'rankForkEvent', id: c.id, ev: 'message', message }));
        child.on('exit', (code) => {
          children.delete(c.id);
          send({ t: 'rankForkEvent', id: c.id, ev: 'exit', code });
        });
      } else if (c.op === 'post') {
        children.get(c.id)?.postMessage(c.message);
      } else {
        children.get(c.id)?.kill();
      }
    },
    /** Kills every child still running (the host is closing). */
    killAll(): void {
      for (const child of children.values()) child.kill();
      children.clear();
    },
    get running(): number {
      return children.size;
    },
  };
}

/** Worker side: a UtilityFork whose children live in the main thread. */
export function bridgedFork(post: (c: ForkCommand) => void) {
  type Listeners = { message: ((m: unknown) => void)[]; exit: ((code: number) => void)[]; stderr: PassThrough };
  const children = new Map<number, Listeners>();
  let nextId = 1;
  const fork: UtilityFork = (modulePath, args, options) => {
    const id = nextId++;
    const l: Listeners = { message: [], exit: [], stderr: new PassThrough() };
    children.set(id, l);
    post({ t: 'rankFork', op: 'fork', id, modulePath, args, options });
    return {
      // Known only in the main thread; the coordinator takes the pid each rank reports when ready.
      pid: undefined,
      stderr: l.stderr,
      postMessage: (message: unknown) => post({ t: 'rankFork', op: 'post', id, message }),
      kill: () => (post({ t: 'rankFork', op: 'kill', id }), true),
      on(event: 'message' | 'exit', fn: ((m: unknown) => void) & ((code: number) => void)) {
        l[event].push(fn);
        return this;
      },
    };
  };
  return {
    fork,
    handle(e: ForkEvent): void {
      const l = children.get(e.id);
      if (!l) return;
      if (e.ev === 'message') for (const fn of l.message) fn(e.message);
      else if (e.ev === 'stderr') l.stderr.write(e.text);
      else {
        children.delete(e.id);
        l.stderr.end();
        for (const fn of l.exit) fn(e.code);
      }
    },
  };
}
