/**
 * Loads native/gloo (normscope_gloo.node). When it is missing the `gloo` backend is unavailable and
 * glooAvailability() says why (build it with `node tools/build-gloo.mjs`; needs libgloo-dev and g++).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STORE_SECRET_ENV } from './tcpStore.js';
import type { GlooContextFactory, GlooContextHandle } from '../../engine/index.js';

interface GlooModule {
  GlooContext: new (opts: object) => GlooContextHandle;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** Source tree (app/ranks) and compiled tree (dist/app/ranks). */
const candidates = [
  path.resolve(here, '../../native/gloo/build/Release/normscope_gloo.node'),
  path.resolve(here, '../../../native/gloo/build/Release/normscope_gloo.node'),
];

let loaded: { ok: true; mod: GlooModule; path: string } | { ok: false; reason: string } | null = null;

function load(): typeof loaded {
  if (loaded) return loaded;
  const file = process.env.NORMSCOPE_GLOO_ADDON ?? candidates.find((c) => existsSync(c));
  if (!file) {
    loaded = {
      ok: false,
      reason:
        'the gloo addon is not built (native/gloo/build/Release/normscope_gloo.node is missing): ' +
        'install libgloo-dev and g++, then run `node tools/build-gloo.mjs`; the ipc backend works without it',
    };
    return loaded;
  }
  try {
    const mod = createRequire(import.meta.url)(file) as GlooModule;
    loaded = { ok: true, mod, path: file };
  } catch (e) {
    loaded = { ok: false, reason: `the gloo addon at ${file} failed to load: ${(e as Error).message}` };
  }
  return loaded;
}

export function glooAvailability(): { available: boolean; reason: string; path?: string } {
  const l = load()!;
  return l.ok
    ? { available: true, reason: `libgloo via ${l.path}`, path: l.path }
    : { available: false, reason: l.reason };
}

/** The context factory for GlooProcessGroup; throws with the reason when gloo is unavailable. */
export function glooContextFactory(): GlooContextFactory {
  const l = load()!;
  if (!l.ok) throw new Error(l.reason);
  // A TCP store admits only ranks that prove the run's secret; the coordinator put it in this
  // process's environment at spawn (never argv). A file store needs none.
  const storeSecret = process.env[STORE_SECRET_ENV];
  return (opts) => new l.mod.GlooContext(storeSecret && opts.storeHost ? { ...opts, storeSecret } : opts);
}
