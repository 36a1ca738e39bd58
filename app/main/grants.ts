/**
 * Which files the Electron window may have the host read or write. DESIGN.md: files are reached only
 * through dialogs, drops and the command line — so a path typed into (or forged by) the renderer is
 * refused unless the person chose it in a dialog, opened it from the menu/recent list, or passed it
 * on the command line. No Electron import: unit-tested as is.
 */
import { resolve } from 'node:path';

export class PathGrants {
  private readonly granted = new Set<string>();

  grant(path: string): void {
    this.granted.add(resolve(path));
  }

  isGranted(path: string): boolean {
    return this.granted.has(resolve(path));
  }
}

/** The file paths a contract call would touch (empty for calls that touch no file by path). */
export function pathsOf(method: string, payload: unknown): string[] {
  const p = (payload ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string[] => (typeof v === 'string' ? [v] : []);
  switch (method) {
    case 'checkpoint.open':
    case 'stateDict.export':
    case 'model.open':
    case 'model.weights':
    case 'model.setInput': // path null: a generated batch, no file
    case 'model.export':
      return str(p.path);
    case 'diff.run':
      return [...str(p.a), ...str(p.b)];
    case 'model.train': // target null: a generated target, no file
      return str(p.target);
    default:
      return [];
  }
}
