/**
 * A file path as a person types it, made the path the host opens: `~` and `~/…` are the user's home
 * folder (as a shell would expand them), a relative path is resolved against the host's working
 * folder — and the answer says so, because that folder is the server's, not the browser's.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export interface ResolvedPath {
  path: string;
  /** What was done to the typed text, for the window to show ('' when it was used as typed). */
  note: string;
}

export function resolveUserPath(typed: string, cwd = process.cwd(), home = homedir()): ResolvedPath {
  const t = typed.trim();
  if (t === '~' || t.startsWith('~/') || t.startsWith(`~\\`)) {
    const path = t === '~' ? home : join(home, t.slice(2));
    return { path, note: `~ is ${home}` };
  }
  if (isAbsolute(t)) return { path: t, note: '' };
  return { path: resolve(cwd, t), note: `relative paths resolve against the host's folder ${cwd}` };
}
