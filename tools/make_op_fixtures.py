#!/usr/bin/python3
"""Writes the operator fixtures of engine/nn/functional (engine/nn/functional/fixtures/*.json).

Run with Debian's interpreter (python3-torch 1.13, python3-onnx 1.12):
`/usr/bin/python3 tools/make_op_fixtures.py [--out DIR]`. Deterministic (fixed seeds): rerunning on the
same versions writes identical files; engine/nn/functional/opFixtures.freshness.test.ts checks that.

- torch_*.json: forward values, gradients and error texts from PyTorch (tools/parity_fixtures/op_cases.py);
- onnx_nodes.json: the ONNX specification's node tests for the same operators (onnx_node_cases.py).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, 'parity_fixtures'))

import onnx  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

import onnx_node_cases  # noqa: E402
import op_cases  # noqa: E402

OUT = os.path.join(HERE, '..', 'engine', 'nn', 'functional', 'fixtures')

FILES = {
    'torch_conv.json': lambda: op_cases.conv_cases(),
    'torch_pool.json': lambda: op_cases.pool_cases(),
    'torch_elementwise.json': lambda: op_cases.binary_cases() + op_cases.activation_cases(),
    'torch_matrix.json': lambda: op_cases.matrix_cases(),
    'torch_shape.json': lambda: op_cases.shape_cases(),
    'onnx_nodes.json': lambda: onnx_node_cases.onnx_node_cases() + onnx_node_cases.split_cases(),
}


def main():
    out = sys.argv[sys.argv.index('--out') + 1] if '--out' in sys.argv else OUT
    os.makedirs(out, exist_ok=True)
    total = 0
    for name, build in FILES.items():
        op_cases._seed[0] = 1000  # each file draws the same inputs however the others change
        body = {'generator': 'tools/make_op_fixtures.py', 'torch': torch.__version__, 'onnx': onnx.__version__,
                'cases': build()}
        text = json.dumps(body, allow_nan=False, separators=(',', ':'))
        with open(os.path.join(out, name), 'w') as f:
            f.write(text + '\n')
        total += len(text)
        print(f'{name}: {len(body["cases"])} cases, {len(text) / 1024:.1f} KiB')
    print(f'total {total / 1024:.1f} KiB')


if __name__ == '__main__':
    main()
