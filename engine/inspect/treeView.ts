/**
 * A display tree of a checkpoint's object tree (what the app's checkpoint browser shows): dicts, lists,
 * state dicts, tensors (`dtype [shape]`), scalars, strings and inert placeholders. Cycle-safe,
 * depth-limited, and long containers are cut with a "… N more" node.
 */
import { findStateDicts } from '../io/tree.js';
import { PyDevice, PyDict, PyDtype, PyFloat, PyPlaceholder, PySet, PyTuple, type PyValue } from '../io/pyobjects.js';
import { TensorRef } from '../io/tensorRef.js';

export interface TreeNode {
  label: string;
  kind: 'dict' | 'list' | 'tensor' | 'stateDict' | 'scalar' | 'string' | 'placeholder' | 'other';
  detail: string;
  children: TreeNode[];
}

export interface TreeViewOptions {
  maxChildren?: number;
  maxDepth?: number;
}

export function treeView(root: PyValue, opts: TreeViewOptions = {}): TreeNode {
  const maxChildren = opts.maxChildren ?? 500;
  const maxDepth = opts.maxDepth ?? 32;
  const stateDicts = new Set<PyDict>(findStateDicts(root).map((f) => f.dict));
  const onPath = new Set<object>();

  const node = (label: string, v: PyValue, depth: number): TreeNode => {
    if (v instanceof TensorRef)
      return { label, kind: 'tensor', detail: `${v.dtype} [${v.shape.join(', ')}]`, children: [] };
    if (v === null || typeof v === 'boolean')
      return { label, kind: 'scalar', detail: v === null ? 'None' : v ? 'True' : 'False', children: [] };
    if (typeof v === 'number' || typeof v === 'bigint')
      return { label, kind: 'scalar', detail: String(v), children: [] };
    if (v instanceof PyFloat) return { label, kind: 'scalar', detail: v.value.toFixed(1), children: [] };
    if (typeof v === 'string')
      return { label, kind: 'string', detail: v.length > 200 ? `${v.slice(0, 200)}…` : v, children: [] };
    if (v instanceof Uint8Array) return { label, kind: 'other', detail: `bytes (${v.length})`, children: [] };
    if (v instanceof PyDevice) return { label, kind: 'scalar', detail: `device(${v.spec})`, children: [] };
    if (v instanceof PyDtype) return { label, kind: 'scalar', detail: `torch.${v.name}`, children: [] };
    if (v instanceof PyPlaceholder) {
      return { label, kind: 'placeholder', detail: `${v.global} (not loaded: outside the allow-list)`, children: [] };
    }
    const entries: [string, PyValue][] | null =
      v instanceof PyDict
        ? [...v.entries].map(([k, x]) => [String(k), x])
        : Array.isArray(v)
          ? v.map((x, i) => [String(i), x])
          : v instanceof PyTuple || v instanceof PySet
            ? v.items.map((x, i) => [String(i), x])
            : null;
    if (!entries) return { label, kind: 'other', detail: (v as object).constructor.name, children: [] };
    const kind: TreeNode['kind'] = v instanceof PyDict ? (stateDicts.has(v) ? 'stateDict' : 'dict') : 'list';
    const typeName = v instanceof PyDict ? v.kind : Array.isArray(v) ? 'list' : v instanceof PyTuple ? 'tuple' : 'set';
    const out: TreeNode = { label, kind, detail: `${typeName} (${entries.length})`, children: [] };
    if (onPath.has(v as object)) {
      out.detail += ' (cycle)';
      return out;
    }
    if (depth >= maxDepth) return out;
    onPath.add(v as object);
    for (const [k, x] of entries.slice(0, maxChildren)) out.children.push(node(k, x, depth + 1));
    if (entries.length > maxChildren) {
      out.children.push({ label: '…', kind: 'other', detail: `${entries.length - maxChildren} more`, children: [] });
    }
    onPath.delete(v as object);
    return out;
  };
  return node('<root>', root, 0);
}
