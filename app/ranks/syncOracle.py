"""PyTorch oracle for the ranks equivalence test: plain BatchNorm over the concatenated batch.

stdin: {"cases": [{"kind": "1d"|"2d", "c": C, "momentum": m|None, "dtype": "float32"|"float64",
                   "weight": [...], "bias": [...], "steps": [{"x": {shape, data}, "g": {shape, data}}]}]}
stdout: {"torch": version, "results": [[{"y", "dx", "dw", "db", "rm", "rv", "nbt"} per step] per case]}
"""
import json
import sys

import torch

torch.set_num_threads(1)
req = json.load(sys.stdin)
out = []
for case in req["cases"]:
    dt = torch.float64 if case["dtype"] == "float64" else torch.float32
    cls = torch.nn.BatchNorm1d if case["kind"] == "1d" else torch.nn.BatchNorm2d
    bn = cls(case["c"], momentum=case["momentum"]).to(dt)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(case["weight"], dtype=dt))
        bn.bias.copy_(torch.tensor(case["bias"], dtype=dt))
    bn.train()
    steps = []
    for st in case["steps"]:
        x = torch.tensor(st["x"]["data"], dtype=dt).reshape(st["x"]["shape"]).requires_grad_(True)
        g = torch.tensor(st["g"]["data"], dtype=dt).reshape(st["g"]["shape"])
        bn.zero_grad()
        y = bn(x)
        y.backward(g)
        steps.append({
            "y": y.detach().flatten().tolist(),
            "dx": x.grad.flatten().tolist(),
            "dw": bn.weight.grad.tolist(),
            "db": bn.bias.grad.tolist(),
            "rm": bn.running_mean.tolist(),
            "rv": bn.running_var.tolist(),
            "nbt": int(bn.num_batches_tracked.item()),
        })
    out.append(steps)
json.dump({"torch": torch.__version__, "results": out}, sys.stdout)
