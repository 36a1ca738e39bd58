#!/usr/bin/python3
"""Live PyTorch oracle for the BatchNorm differential test (engine/nn/batchnorm.differential.test.ts).

Reads one JSON object {"cases": [scenario, ...]} on stdin (scenario format: tools/parity_fixtures/
scenario.py), replays every scenario on real PyTorch and writes {"torch": version, "results":
[[step result, ...], ...]} on stdout. One process answers the whole batch, so torch is imported once.
A scenario the runner cannot replay yields {"oracleError": text} in its slot instead of results.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the committed sources
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'parity_fixtures'))

import torch  # noqa: E402

from scenario import run_scenario  # noqa: E402

torch.set_num_threads(1)


def main():
    req = json.load(sys.stdin)
    results = []
    for spec in req['cases']:
        try:
            results.append(run_scenario(spec))
        except Exception as e:  # noqa: BLE001 - reported per case to the test, which fails on it
            results.append({'oracleError': f'{type(e).__name__}: {e}'})
    json.dump({'torch': torch.__version__, 'results': results}, sys.stdout, allow_nan=False, separators=(',', ':'))


if __name__ == '__main__':
    main()
