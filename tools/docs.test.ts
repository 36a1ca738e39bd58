/**
 * The user guide (docs/) stays whole: every relative link and image resolves, every anchor exists, each of
 * the eight workspaces has its section, and the pages the issue asks for are there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const pages = readdirSync(DOCS).filter((f) => f.endsWith('.md'));

/** GitHub-style heading anchors. */
function anchors(md: string): Set<string> {
  const out = new Set<string>();
  for (const m of md.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    out.add(
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return out;
}

describe('user guide', () => {
  it('has the pages the issue asks for', () => {
    for (const p of [
      'README.md',
      'install.md',
      'first-steps.md',
      'cli.md',
      'remote-gpu.md',
      'ranks-across-machines.md',
      'troubleshooting.md',
      'differences-from-pytorch.md',
    ]) {
      expect(pages, p).toContain(p);
    }
  });

  it('resolves every relative link, anchor and image', () => {
    const problems: string[] = [];
    for (const page of pages) {
      const md = readFileSync(join(DOCS, page), 'utf8');
      for (const m of md.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const [file, anchor] = target.split('#');
        const path = file ? join(DOCS, file) : join(DOCS, page);
        if (!existsSync(path)) problems.push(`${page}: ${target} (no such file)`);
        else if (anchor && path.endsWith('.md') && !anchors(readFileSync(path, 'utf8')).has(anchor)) {
          problems.push(`${page}: ${target} (no such heading)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('walks through all eight workspaces, each with a screenshot', () => {
    const md = readFileSync(join(DOCS, 'first-steps.md'), 'utf8');
    const sections = md.split(/^## /m).slice(1);
    const titles = sections.map((s) => s.split('\n')[0]!.trim());
    expect(titles).toEqual([
      '1. Stack builder',
      '2. Stepping',
      '3. Layer inspector',
      '4. State dict',
      '5. Checkpoint browser',
      '6. Diff',
      '7. Ranks',
      '8. Backends',
    ]);
    for (const s of sections) expect(s, s.split('\n')[0]).toMatch(/!\[[^\]]+\]\(images\/[^)]+\.png\)/);
  });
});
