/**
 * Where a gloo group's ranks meet, opened by the coordinator before it spawns them: a fresh temp
 * directory (a file store, one machine), or a TCP store that this coordinator serves (node 0) or joins,
 * with the secret every rank proves to it. Each incarnation of the group uses its own key prefix, so a
 * reused store never mixes runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GlooRendezvous } from '../../engine/index.js';
import { MIN_SECRET_LENGTH, STORE_SECRET_ENV, TcpStoreServer } from './tcpStore.js';

export interface RendezvousOptions {
  /** 'file' (a temp dir, one machine) or 'tcp' (a TCP store; ranks elsewhere can join). */
  rendezvous?: 'file' | 'tcp';
  /** For 'tcp': where the store listens (default 127.0.0.1, random port). */
  storeHost?: string;
  storePort?: number;
  /** Serve the TCP store here (default: when this coordinator hosts rank 0). */
  serveStore?: boolean;
  /**
   * The secret every rank proves to the TCP store: random per run on one machine; on several, the
   * same value given to every node (default: NORMSCOPE_STORE_SECRET from this process's environment,
   * so `normscope ranks --nodes …` takes it without a flag that `ps` would show).
   */
  storeSecret?: string;
  /** The address other machines reach this machine's ranks at (gloo TCP transport; default 127.0.0.1). */
  hostname?: string;
}

/** Which ranks this coordinator hosts, in which incarnation of the group. */
export interface RendezvousPlace {
  generation: number;
  firstRank: number;
  localRanks: number;
  world: number;
}

/** What was opened: the ranks' rendezvous, the secret to hand them, and what stop() must close or remove. */
export interface OpenedRendezvous {
  rendezvous: GlooRendezvous;
  storeSecret: string | null;
  tcpStore: TcpStoreServer | null;
  storeDir: string | null;
}

/**
 * The TCP store's secret: the one given (option or environment), else a fresh random one when this
 * coordinator serves the store and hosts the whole world; several machines must be given the same one.
 */
export function storeSecretFor(given: string | undefined, serving: boolean, wholeWorldHere: boolean): string {
  if (given !== undefined && given.length < MIN_SECRET_LENGTH)
    throw new Error(`${STORE_SECRET_ENV} must be at least ${MIN_SECRET_LENGTH} characters (a random value)`);
  if (given !== undefined) return given;
  if (serving && wholeWorldHere) return randomBytes(32).toString('hex');
  throw new Error(
    `ranks on several machines need the store secret: set ${STORE_SECRET_ENV} to the same random value ` +
      `(at least ${MIN_SECRET_LENGTH} characters) on every node`,
  );
}

export async function openRendezvous(o: RendezvousOptions, at: RendezvousPlace): Promise<OpenedRendezvous> {
  const prefix = `run${at.generation}/`;
  if (o.rendezvous !== 'tcp') {
    const storeDir = mkdtempSync(path.join(os.tmpdir(), 'normscope-gloo-'));
    return {
      rendezvous: { storePath: storeDir, prefix, hostname: o.hostname },
      storeSecret: null,
      tcpStore: null,
      storeDir,
    };
  }
  let host = o.storeHost ?? '127.0.0.1';
  let port = o.storePort ?? 0;
  const serving = o.serveStore ?? at.firstRank === 0;
  const storeSecret = storeSecretFor(
    o.storeSecret ?? process.env[STORE_SECRET_ENV],
    serving,
    at.localRanks === at.world,
  );
  let tcpStore: TcpStoreServer | null = null;
  if (serving) {
    // The host it is given (an address of this machine), never every interface behind the user's back.
    try {
      tcpStore = await TcpStoreServer.listen(host, port, storeSecret);
    } catch (e) {
      throw new Error(
        `cannot serve the rendezvous store at ${host}:${port} (an address of this machine?): ${(e as Error).message}`,
      );
    }
    port = tcpStore.address.port;
  } else if (!port) {
    throw new Error("joining another machine's group needs the store address (storeHost and storePort)");
  }
  if (host === '0.0.0.0') host = '127.0.0.1';
  return {
    rendezvous: { storeHost: host, storePort: port, prefix, hostname: o.hostname },
    storeSecret,
    tcpStore,
    storeDir: null,
  };
}
