/**
 * Key alignment: the wrapper prefixes training code adds (`module.` from DataParallel/DDP, `_orig_mod.`
 * from torch.compile, `model.` from Lightning, nested combinations), detected, previewed as a mapping
 * with matched/unmatched counts, and applied to a StateDict with its `_metadata` renamed to match.
 */
import { StateDict, type LocalMetadata } from '../nn/stateDict.js';

/** Prefixes that wrappers add; detection strips these when every key carries one. */
export const KNOWN_PREFIXES = [
  'module.',
  '_orig_mod.',
  'model.',
  'net.',
  'ema.',
  'model_ema.',
  'student.',
  'backbone.',
];

/** The chain of known wrapper prefixes every key starts with, e.g. 'module._orig_mod.' ('' if none). */
export function detectPrefix(keys: Iterable<string>): string {
  let list = [...keys];
  if (list.length === 0) return '';
  let prefix = '';
  for (let depth = 0; depth < 8; depth++) {
    const p = KNOWN_PREFIXES.find((k) => list.every((key) => key.startsWith(k) && key.length > k.length));
    if (!p) break;
    prefix += p;
    list = list.map((k) => k.slice(p.length));
  }
  return prefix;
}

/** Candidate prefixes shared by all keys: '', 'a.', 'a.b.', … (up to `maxDepth` components). */
function sharedPrefixes(keys: string[], maxDepth = 3): string[] {
  const out = [''];
  if (!keys.length) return out;
  let p = '';
  for (let d = 0; d < maxDepth; d++) {
    const rest = keys[0]!.slice(p.length);
    const dot = rest.indexOf('.');
    if (dot < 0) break;
    const next = p + rest.slice(0, dot + 1);
    if (!keys.every((k) => k.startsWith(next) && k.length > next.length)) break;
    p = next;
    out.push(p);
  }
  return out;
}

export interface KeyMapping {
  /** Prefix removed from source keys. */
  strip: string;
  /** Prefix added after stripping. */
  add: string;
}

export interface AlignmentPreview {
  mapping: KeyMapping;
  matched: number;
  /** Source keys (original names) with no counterpart in the target. */
  unmatchedSource: string[];
  /** Target keys nothing maps to. */
  unmatchedTarget: string[];
  pairs: [string, string][];
}

export function mapKey(key: string, m: KeyMapping): string {
  return key.startsWith(m.strip) ? m.add + key.slice(m.strip.length) : key;
}

export function previewMapping(
  source: Iterable<string>,
  target: Iterable<string>,
  mapping: KeyMapping,
): AlignmentPreview {
  const tgt = new Set(target);
  const hit = new Set<string>();
  const pairs: [string, string][] = [];
  const unmatchedSource: string[] = [];
  for (const k of source) {
    const m = mapKey(k, mapping);
    if (tgt.has(m)) {
      hit.add(m);
      pairs.push([k, m]);
    } else unmatchedSource.push(k);
  }
  return {
    mapping,
    matched: pairs.length,
    unmatchedSource,
    unmatchedTarget: [...tgt].filter((k) => !hit.has(k)),
    pairs,
  };
}

/**
 * The mapping source → target that matches the most keys, trying every prefix all source keys share
 * against every prefix all target keys share (known wrapper prefixes or not). Ties prefer less change.
 */
export function alignKeys(source: Iterable<string>, target: Iterable<string>): AlignmentPreview {
  const src = [...source];
  const tgt = [...target];
  let best: AlignmentPreview | null = null;
  for (const strip of sharedPrefixes(src)) {
    for (const add of sharedPrefixes(tgt)) {
      const p = previewMapping(src, tgt, { strip, add });
      const cost = strip.length + add.length;
      if (
        !best ||
        p.matched > best.matched ||
        (p.matched === best.matched && cost < best.mapping.strip.length + best.mapping.add.length)
      ) {
        best = p;
      }
    }
  }
  return best!;
}

/** Renames keys and `_metadata` prefixes; tensors are shared, not copied. */
export function applyMapping(sd: StateDict, mapping: KeyMapping): StateDict {
  const out = new StateDict();
  for (const [k, t] of sd) out.set(mapKey(k, mapping), t);
  out.metadata = mapMetadata(sd.metadata, mapping);
  return out;
}

export function mapMetadata(md: Map<string, LocalMetadata>, { strip, add }: KeyMapping): Map<string, LocalMetadata> {
  const out = new Map<string, LocalMetadata>();
  const stripMod = strip.replace(/\.$/, '');
  for (const [prefix, local] of md) {
    let p: string | null = prefix;
    if (strip) {
      if (prefix === stripMod) p = '';
      else if (prefix.startsWith(strip)) p = prefix.slice(strip.length);
      else p = null; // the wrapper's own entries (e.g. DataParallel's root) go away with it
    }
    if (p === null) continue;
    if (add) p = p === '' ? add.replace(/\.$/, '') : add + p;
    out.set(p, { ...local });
  }
  if (add && !out.has('')) out.set('', { version: 1 });
  // Keep the root first, as PyTorch writes it.
  return new Map([...out].sort((a, b) => (a[0] === '' ? -1 : b[0] === '' ? 1 : 0)));
}
