#!/usr/bin/python3
"""Live PyTorch oracle for the BatchNorm differential test (engine/nn/batchnorm.differential.test.ts).

Reads one JSON object {"cases": [scenario, ...], "concat": [concat spec, ...]} on stdin (formats:
tools/parity_fixtures/scenario.py and sync_cases.concat_run), replays every scenario on real PyTorch,
fills every SyncBatchNorm concatenation case, and writes {"torch": version, "results": [[step
result, ...], ...], "concat": [filled case, ...]} on stdout. One process answers the whole batch, so
torch is imported once. A case the oracle cannot run yields {"oracleError": text} in its slot.
With "binaryMin": N in the request, tensors of N or more elements are answered as base64 bytes.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the committed sources
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'parity_fixtures'))

import torch  # noqa: E402

import common  # noqa: E402
from scenario import run_scenario, run_scenario_f64_reference  # noqa: E402
from sync_cases import concat_run  # noqa: E402

torch.set_num_threads(1)


def answer(fn, spec):
    try:
        return fn(spec)
    except Exception as e:  # noqa: BLE001 - reported per case to the test, which fails on it
        return {'oracleError': f'{type(e).__name__}: {e}'}


def main():
    req = json.load(sys.stdin)
    common.BINARY_MIN = req.get('binaryMin')  # large tensors answer as base64 (see common.enc)
    # "reference": "float64" asks for PyTorch's float64 answer on the float32 inputs (see scenario.py).
    results = [answer(run_scenario_f64_reference if spec.get('reference') == 'float64' else run_scenario, spec)
               for spec in req.get('cases', [])]
    concat = [answer(concat_run, spec) for spec in req.get('concat', [])]
    json.dump({'torch': torch.__version__, 'results': results, 'concat': concat}, sys.stdout, allow_nan=False,
              separators=(',', ':'))


if __name__ == '__main__':
    main()
