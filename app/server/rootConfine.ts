/**
 * `normscope serve --root DIR`: every file the window opens or saves must lie inside DIR. Each path
 * in a call is resolved against DIR, symlinks followed (realpath of the file, or of its folder for a
 * file a save will create), and refused unless the real path is DIR or below it. The host then gets
 * the real path, so a link swapped in afterwards cannot redirect an open that was already checked
 * by name. The table below names every contract method's file-path fields; a method missing from it
 * is refused under --root (fail closed), and the test requires every contract method to be listed.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { MethodName, WireError } from '../shared/contract.js';

type PathUse = 'open' | 'save';

/** Per method: the payload fields that are file paths on the host, and whether they are read or written. */
export const FILE_PATH_FIELDS: Record<MethodName, Readonly<Record<string, PathUse>>> = {
  'app.info': {},
  'job.cancel': {},
  'files.choose': {},
  'stack.validate': {},
  'stack.build': {},
  'stack.previewSync': {},
  'stack.convertSync': {},
  'step.state': {},
  'step.setInput': {},
  'step.setMode': {},
  'step.forward': {},
  'step.train': {},
  'step.run': {},
  'step.reset': {},
  'step.snapshot': {},
  'step.rollback': {},
  'step.compare': {},
  'inspect.layer': {}, // a module path inside the stack, not a file
  'stateDict.view': {},
  'stateDict.export': { path: 'save' },
  'stateDict.previewLoad': {}, // stateDictPath is a key path inside an open checkpoint
  'stateDict.load': {},
  'checkpoint.open': { path: 'open' },
  'checkpoint.tensors': {},
  'checkpoint.buildStack': {},
  'checkpoint.close': {},
  'diff.run': { a: 'open', b: 'open' },
  'ranks.start': {},
  'ranks.step': {},
  'ranks.kill': {},
  'ranks.restart': {},
  'ranks.stop': {},
  'ranks.state': {},
  'backend.info': {},
  'backend.set': {},
  'backend.bench': {},
  'model.open': { path: 'open' },
  'model.weights': { path: 'open' },
  'model.setInput': { path: 'open' }, // null: a generated batch
  'model.step': {},
  'model.compare': {},
  'model.inspect': {}, // a BatchNorm's state-dict prefix, not a file
  'model.recalibrate': {},
  'model.export': { path: 'save' },
  'model.train': { target: 'open' }, // null: a generated target
};

export class OutsideRootError extends Error {
  override name = 'PermissionError';
}

const within = (root: string, p: string): boolean => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/** The real path of `p` (relative paths are taken from `root`), refused unless it lies inside `root`. */
export async function confinePath(root: string, p: string, use: PathUse): Promise<string> {
  const full = isAbsolute(p) ? resolve(p) : resolve(root, p);
  let real: string;
  try {
    real = await realpath(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (use !== 'save' || code !== 'ENOENT') {
      // Say "outside" when the name already points out of the root; else the real reason.
      if (!within(root, full)) throw new OutsideRootError(`${p} is outside the served root ${root} (--root)`);
      throw new OutsideRootError(`${p}: no such file inside the served root ${root}`);
    }
    // A file the save will create: its folder must exist and be inside the root.
    let dir: string;
    try {
      dir = await realpath(dirname(full));
    } catch {
      throw new OutsideRootError(`${p}: its folder does not exist inside the served root ${root}`);
    }
    real = join(dir, basename(full));
  }
  if (!within(root, real)) throw new OutsideRootError(`${p} is outside the served root ${root} (--root)`);
  return real;
}

/** The root as the checks compare it: absolute, symlinks resolved. Throws when it is not a folder. */
export async function resolveRoot(dir: string): Promise<string> {
  return realpath(resolve(dir));
}

/**
 * Rewrites the file paths in a call's payload to their confined real paths; an error for a path
 * outside the root. Payloads of other shapes pass unchanged (the host's schema refuses them).
 */
export async function confineCall(
  root: string,
  method: string,
  payload: unknown,
): Promise<{ payload: unknown } | { error: WireError }> {
  if (!Object.hasOwn(FILE_PATH_FIELDS, method)) {
    const name = JSON.stringify(method.slice(0, 80));
    return { error: { name: 'PermissionError', message: `${name} is not a method --root knows the file paths of` } };
  }
  const fields = FILE_PATH_FIELDS[method as MethodName];
  const names = Object.keys(fields);
  if (names.length === 0 || !payload || typeof payload !== 'object' || Array.isArray(payload)) return { payload };
  const out: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  for (const k of names) {
    const v = out[k];
    if (typeof v !== 'string') continue; // the host's schema refuses it
    try {
      out[k] = await confinePath(root, v, fields[k]!);
    } catch (e) {
      return { error: { name: 'PermissionError', message: (e as Error).message } };
    }
  }
  return { payload: out };
}
