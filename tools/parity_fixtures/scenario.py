"""Replays a BatchNorm "scenario" on real PyTorch and records what it does.

A scenario (plain JSON, camelCase like the engine's API) is a module constructor plus a list of
steps. The same runner fills the committed fixtures and answers the live differential test, so the
TypeScript side has one replay loop for both (engine/nn/testing/scenario.ts).

  {"class": "BatchNorm2d", "args": {"numFeatures": 3, "eps": 1e-5, "momentum": 0.1 | null,
   "affine": true, "trackRunningStats": true, "dtype": "float32"},
   "init": {"weight": T, "bias": T, "runningMean": T, "runningVar": T, "numBatchesTracked": 4},
   "steps": [
     {"op": "forward", "mode": "train" | "eval", "input": T, "gradOut": T | null, "accumulate": bool,
      "inputGrad": bool (default true: the input requires grad when gradOut is given)},
     {"op": "set", "attr": "trackRunningStats" | "momentum" | "eps" | "requiresGrad", "value": ...},
     {"op": "setBuffer", "name": "runningMean" | "runningVar", "value": T},
     {"op": "resetRunningStats"}, {"op": "resetParameters"}]}

Each step's result: {output, gradInput, gradWeight, gradBias} or {error: {type, message}} (or
{output, backwardError} when backward itself raises), plus
`state` (weight, bias, running stats, counter) after the step. Weight/bias gradients are cleared
before every forward step unless the step says `accumulate` (then they add up over backward passes,
as PyTorch's .grad does); the input is always a fresh leaf.

SyncBatchNorm: the seed (PyTorch 2.x) runs plain batch norm when no process group is initialized;
PyTorch 1.13 instead refuses any CPU input ("SyncBatchNorm expected input tensor to be on GPU").
The runner records the seed's behaviour by running _BatchNorm.forward after SyncBatchNorm's own
input checks, which is exactly the seed's fallback path.
"""
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from common import DTYPES, capture, dec, enc, module_state

CLASSES = {
    'BatchNorm1d': nn.BatchNorm1d,
    'BatchNorm2d': nn.BatchNorm2d,
    'BatchNorm3d': nn.BatchNorm3d,
    'SyncBatchNorm': nn.SyncBatchNorm,
}
ATTRS = {'trackRunningStats': 'track_running_stats', 'momentum': 'momentum', 'eps': 'eps'}
BUFFERS = {'runningMean': 'running_mean', 'runningVar': 'running_var'}


def build(cls_name, args):
    kwargs = {}
    if 'eps' in args:
        kwargs['eps'] = args['eps']
    if 'momentum' in args:
        kwargs['momentum'] = args['momentum']
    if 'affine' in args:
        kwargs['affine'] = args['affine']
    if 'trackRunningStats' in args:
        kwargs['track_running_stats'] = args['trackRunningStats']
    kwargs['dtype'] = DTYPES[args.get('dtype', 'float32')]
    return CLASSES[cls_name](args['numFeatures'], **kwargs)


def seed_forward(m, x):
    """The seed's forward; for SyncBatchNorm its no-process-group fallback (see module doc)."""
    if isinstance(m, nn.SyncBatchNorm):
        m._check_input_dim(x)
        m._check_non_zero_input_channels(x)
        return _BatchNorm.forward(m, x)
    return m(x)


def apply_init(m, init):
    if not init:
        return
    with torch.no_grad():
        for key, attr in (('weight', 'weight'), ('bias', 'bias'), ('runningMean', 'running_mean'),
                          ('runningVar', 'running_var')):
            if init.get(key) is not None:
                getattr(m, attr).copy_(dec(init[key]))
        if init.get('numBatchesTracked') is not None:
            m.num_batches_tracked.fill_(init['numBatchesTracked'])


def _forward_step(m, step):
    m.train(step['mode'] == 'train')
    x = dec(step['input'])
    g = dec(step.get('gradOut'))
    if g is not None and step.get('inputGrad', True):
        x.requires_grad_(True)
    if not step.get('accumulate'):
        for p in m.parameters():
            p.grad = None
    y, err = capture(lambda: seed_forward(m, x))
    if err is not None:
        return {'error': err}
    res = {'output': enc(y)}
    if g is not None:
        _, berr = capture(lambda: y.backward(g))
        if berr is not None:
            res['backwardError'] = berr
            return res
        res['gradInput'] = enc(x.grad)
        res['gradWeight'] = enc(m.weight.grad) if m.affine else None
        res['gradBias'] = enc(m.bias.grad) if m.affine else None
    return res


def run_scenario(spec):
    """Returns one result dict per step (see module doc)."""
    m = build(spec['class'], spec['args'])
    apply_init(m, spec.get('init'))
    results = []
    for step in spec['steps']:
        op = step['op']
        if op == 'forward':
            res = _forward_step(m, step)
        elif op == 'set' and step['attr'] == 'requiresGrad':
            for p in m.parameters():  # freeze or unfreeze weight and bias (fine-tuning with a frozen BN)
                p.requires_grad_(step['value'])
            res = {}
        elif op == 'set':
            setattr(m, ATTRS[step['attr']], step['value'])
            res = {}
        elif op == 'setBuffer':
            setattr(m, BUFFERS[step['name']], dec(step['value']))
            res = {}
        elif op == 'resetRunningStats':
            m.reset_running_stats()
            res = {}
        elif op == 'resetParameters':
            m.reset_parameters()
            res = {}
        else:
            raise ValueError(f'unknown scenario op {op!r}')
        res['state'] = module_state(m)
        results.append(res)
    return results


def retype(obj, dtype):
    """A copy of an encoded structure with every float tensor re-encoded in `dtype`."""
    if isinstance(obj, list):
        return [retype(v, dtype) for v in obj]
    if isinstance(obj, dict):
        if obj.get('dtype') in ('float32', 'float64') and 'shape' in obj and ('data' in obj or 'b64' in obj):
            return enc(dec(obj).to(DTYPES[dtype]))
        return {k: (dtype if k == 'dtype' and isinstance(v, str) and v in ('float32', 'float64') else retype(v, dtype))
                for k, v in obj.items()}
    return obj


def run_scenario_f64_reference(spec):
    """Step results of a float32 scenario computed by PyTorch in float64 on the same (exactly
    representable) inputs, rounded to float32. PyTorch 1.13's float32 CPU backward accumulates in
    float32 in places and drifts from the exact answer by up to ~4e-5 (weight grads over thousands of
    values per channel, or channels with large offsets), more than the 1e-5 tolerance; the engine
    accumulates in double, so such cases compare with the exact answer instead."""
    spec64 = dict(spec, args=retype(spec['args'], 'float64'), init=retype(spec.get('init'), 'float64'),
                  steps=retype(spec['steps'], 'float64'))
    return retype(run_scenario(spec64), 'float32')
