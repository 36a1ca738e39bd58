#!/usr/bin/python3
"""Writes the golden BatchNorm parity fixtures (engine/nn/fixtures/*.json) from real PyTorch.

Run with Debian's interpreter (python3-torch 1.13): `/usr/bin/python3 tools/make_parity_fixtures.py [--out DIR]`.
The output is deterministic (fixed seeds), so rerunning it on the same torch writes identical files.
Each file covers an area of SPEC.md's "Parity suite checklist"; engine/nn/*.parity.test.ts replays them.

Inputs are generated here with torch's seeded generator and stored as flat arrays with shape/dtype, so
the engine never needs PyTorch's RNG. Errors are stored as {type, message} with PyTorch's exact text.
Where 1.13 differs from the seed (PyTorch 2.x source in ../shared/seed), the fixture records what 1.13
does and marks the seed's behaviour, which the tests pin.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ next to the committed sources
sys.path.insert(0, os.path.join(HERE, 'parity_fixtures'))

import torch  # noqa: E402

torch.set_num_threads(1)  # the reductions' summation order does not depend on the thread count

import bn_cases  # noqa: E402
import functional_cases  # noqa: E402
import state_cases  # noqa: E402
import sync_cases  # noqa: E402

OUT = os.path.join(HERE, '..', 'engine', 'nn', 'fixtures')

FILES = {
    'init.json': ('1: construction, key order, metadata, repr; 7: casts', lambda: {
        'modules': state_cases.init_cases(), 'nested': [state_cases.nested_case()], 'casts': state_cases.cast_cases()}),
    'input_checks.json': ('2: dimension and one-value-per-channel errors; 5: module size checks',
                          lambda: {'cases': bn_cases.input_checks()}),
    'forward_train.json': ('3: train forward, momentum sweep and None, reset, train/eval flips',
                           lambda: {'cases': bn_cases.forward_train()}),
    'forward_eval.json': ('4: eval forward, track_running_stats=False, flag flipped after construction',
                          lambda: {'cases': bn_cases.forward_eval()}),
    'zero_batch.json': ('5: empty batches', lambda: {'cases': bn_cases.zero_batch()}),
    'functional.json': ('5: functional batch_norm checks and order, eval without stats; numbers and grads; '
                        'mixed float dtypes refused', lambda: {
                            'cases': functional_cases.functional_cases(),
                            'mixedDtype': {'functional': functional_cases.mixed_dtype_cases(),
                                           'modules': bn_cases.mixed_dtype_modules()},
                            'oneDimInput': functional_cases.one_dim_cases()}),
    'backward.json': ('6: backward in train and eval, affine x tracking', lambda: {'cases': bn_cases.backward()}),
    'dtypes.json': ('7: float32 and float64', lambda: {'cases': bn_cases.dtypes()}),
    'load_state_dict.json': ('8: load_state_dict messages, strict, size mismatch, 1-dim counter, migration',
                             lambda: {'cases': state_cases.load_cases()}),
    'lazy.json': ('9: lazy modules', lambda: {'cases': state_cases.lazy_cases()}),
    'sync.json': ('10: SyncBatchNorm checks, convert_sync_batchnorm, concatenation equivalence', lambda: {
        'inputChecks': sync_cases.input_check_cases(), 'convert': sync_cases.convert_cases(),
        'concat': sync_cases.concat_cases()}),
    'module_tests.json': ("PyTorch's own BatchNorm module tests (common_nn.py)",
                          lambda: {'cases': bn_cases.module_tests()}),
}


def main():
    # `--out DIR` writes elsewhere (the freshness test regenerates into a temporary folder).
    out = sys.argv[sys.argv.index('--out') + 1] if '--out' in sys.argv else OUT
    os.makedirs(out, exist_ok=True)
    total = 0
    for name, (area, build) in FILES.items():
        body = {'generator': 'tools/make_parity_fixtures.py', 'torch': torch.__version__, 'area': area}
        body.update(build())
        text = json.dumps(body, allow_nan=False, separators=(',', ':'))
        with open(os.path.join(out, name), 'w') as f:
            f.write(text + '\n')
        total += len(text)
        print(f'{name}: {len(text) / 1024:.1f} KiB')
    print(f'total {total / 1024:.1f} KiB')


if __name__ == '__main__':
    main()
