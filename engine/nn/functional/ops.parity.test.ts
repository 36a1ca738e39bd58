/**
 * The functional operators against PyTorch (values, gradients, error texts: fixtures/torch_*.json) and
 * against the ONNX specification's own node tests (fixtures/onnx_nodes.json), on every backend.
 */
import { describe, expect, it } from 'vitest';
import { availableBackends, withBackend } from '../testing/backends.js';
import { loadOpCases, OPS, runOpCase } from './opCases.js';

const FILES = [
  'torch_conv.json',
  'torch_pool.json',
  'torch_elementwise.json',
  'torch_matrix.json',
  'torch_shape.json',
  'onnx_nodes.json',
];

describe.each(availableBackends())('operators on the %s backend', (backend) => {
  for (const file of FILES) {
    const cases = loadOpCases(file);
    describe(file, () => {
      it('has cases, each for an engine op', () => {
        expect(cases.length).toBeGreaterThan(10);
        expect(cases.filter((c) => !OPS[c.op]).map((c) => c.op)).toEqual([]);
      });
      for (const c of cases) {
        it(`${c.op}: ${c.name}`, () => {
          expect(withBackend(backend, () => runOpCase(c))).toEqual([]);
        });
      }
    });
  }
});
