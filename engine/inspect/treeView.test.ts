import { describe, expect, it } from 'vitest';
import { PyDict, PyFloat, PyPlaceholder, PyTuple, type PyValue } from '../io/pyobjects.js';
import { treeView } from './treeView.js';

describe('treeView bounds and texts', () => {
  it('marks a cycle instead of following it', () => {
    const d = new PyDict();
    const list: PyValue[] = [];
    d.set('self', list);
    list.push(d);
    const t = treeView(d, { label: 'f.pt', stateDictPaths: new Set() });
    expect(t.children[0]!.children[0]).toMatchObject({
      path: 'self.0',
      kind: 'dict',
      detail: '1 entry (cycle)',
      children: [],
    });
  });

  it('cuts wide containers and deep nesting', () => {
    const wide = Array.from({ length: 250 }, (_, i) => i);
    const w = treeView(wide, { maxChildren: 200, stateDictPaths: new Set() });
    expect(w.children).toHaveLength(201);
    expect(w.children[200]).toMatchObject({ label: '…', detail: '50 more (see the tensor table)' });
    let deep: PyValue = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    let n = treeView(deep, { maxDepth: 8, stateDictPaths: new Set() });
    let depth = 0;
    while (n.children.length) {
      n = n.children[0]!;
      depth++;
    }
    expect(depth).toBe(8);
    expect(n.detail).toBe('1 entry (not expanded)');
  });

  it('shows scalars as Python prints them and refused globals as inert', () => {
    const d = new PyDict();
    d.set('lr', new PyFloat(1));
    d.set('name', 'run "a"');
    d.set('hook', new PyPlaceholder('os.system', [], 0));
    d.set('pair', new PyTuple([null, true]));
    const t = treeView(d, { stateDictPaths: new Set() });
    expect(t.children.map((c) => [c.label, c.kind, c.detail])).toEqual([
      ['lr', 'scalar', '1.0'],
      ['name', 'string', '"run \\"a\\""'],
      ['hook', 'placeholder', 'refused global os.system (kept inert)'],
      ['pair', 'list', '2 entries'],
    ]);
  });
});
