/**
 * A display tree of a checkpoint's object tree (what the app's checkpoint browser shows): dicts, lists,
 * state dicts, tensors (`dtype [shape]`), scalars, strings and inert placeholders, each with its dotted
 * path from the root. Cycle-safe, depth-limited, and long containers are cut with a "… N more" node,
 * and the whole tree has at most maxNodes nodes however the file is built (shared subtrees included).
 */
import { findStateDicts } from '../io/tree.js';
import { PyDevice, PyDict, PyDtype, PyFloat, PyPlaceholder, PySet, PyTuple, type PyValue } from '../io/pyobjects.js';
import { TensorRef } from '../io/tensorRef.js';
import { pyFloat } from '../nn/pyFormat.js';

export interface TreeNode {
  /** Dotted path from the file's root. */
  path: string;
  label: string;
  kind: 'dict' | 'list' | 'tensor' | 'stateDict' | 'scalar' | 'string' | 'placeholder' | 'other';
  /** For scalars/strings: the value as text. For tensors: `dtype [shape]`. For containers: the entry count. */
  detail: string;
  children: TreeNode[];
}

export interface TreeViewOptions {
  /** The root's label (the file name in the app). */
  label?: string;
  maxChildren?: number;
  maxDepth?: number;
  /** Containers expanded in all (a DAG of shared levels would otherwise give maxChildren^maxDepth nodes). */
  maxNodes?: number;
  /** Paths of the state dicts (found in the tree when not given). */
  stateDictPaths?: ReadonlySet<string>;
}

/** A scalar's or string's text, else null. */
function scalarText(v: PyValue): string | null {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof PyFloat) return pyFloat(v.value);
  if (typeof v === 'string') return JSON.stringify(v.length > 120 ? `${v.slice(0, 120)}…` : v);
  if (v instanceof PyDevice) return `device(${v.spec})`;
  if (v instanceof PyDtype) return `torch.${v.name}`;
  return null;
}

function entriesOf(v: PyValue): Array<[string, PyValue]> | null {
  if (v instanceof PyDict)
    return [...v.entries].map(([k, x]) => [String(scalarText(k) ?? '?').replace(/^"|"$/g, ''), x]);
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x]);
  if (v instanceof PyTuple || v instanceof PySet) return v.items.map((x, i) => [String(i), x]);
  return null;
}

export function treeView(root: PyValue, opts: TreeViewOptions = {}): TreeNode {
  const maxChildren = opts.maxChildren ?? 200;
  const maxDepth = opts.maxDepth ?? 8;
  const maxNodes = opts.maxNodes ?? 20_000;
  let nodes = 0;
  const stateDictPaths = opts.stateDictPaths ?? new Set(findStateDicts(root).map((f) => f.path));
  const onPath = new Set<object>();

  const node = (v: PyValue, label: string, path: string, depth: number): TreeNode => {
    const leaf = (kind: TreeNode['kind'], detail: string): TreeNode => ({ path, label, kind, detail, children: [] });
    if (v instanceof TensorRef) return leaf('tensor', `${v.dtype} [${v.shape.join(', ')}]`);
    const s = scalarText(v);
    if (s !== null) return leaf(typeof v === 'string' ? 'string' : 'scalar', s);
    if (v instanceof PyPlaceholder) return leaf('placeholder', `refused global ${v.global} (kept inert)`);
    if (v instanceof Uint8Array) return leaf('other', `bytes (${v.length})`);
    const entries = entriesOf(v);
    if (!entries) return leaf('other', v && typeof v === 'object' ? v.constructor.name : typeof v);
    const kind: TreeNode['kind'] = stateDictPaths.has(path) ? 'stateDict' : v instanceof PyDict ? 'dict' : 'list';
    const detail = `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`;
    if (onPath.has(v as object)) return leaf(kind, `${detail} (cycle)`);
    if (depth >= maxDepth) return leaf(kind, `${detail} (not expanded)`);
    nodes += Math.min(entries.length, maxChildren);
    if (nodes > maxNodes) return leaf(kind, `${detail} (not expanded: the tree shows at most ${maxNodes} nodes)`);
    onPath.add(v as object);
    const children = entries.slice(0, maxChildren).map(([k, x]) => node(x, k, path ? `${path}.${k}` : k, depth + 1));
    onPath.delete(v as object);
    if (entries.length > maxChildren) {
      children.push({
        path: `${path}.…`,
        label: '…',
        kind: 'other',
        detail: `${entries.length - maxChildren} more (see the tensor table)`,
        children: [],
      });
    }
    return { path, label, kind, detail, children };
  };
  return node(root, opts.label ?? '<root>', '', 0);
}
