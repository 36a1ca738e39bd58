#!/usr/bin/python3
"""Writes the real-model fixtures for engine/model/*.parity.test.ts and the `normscope model` CLI tests.

Run with Debian's interpreter (python3-torch 1.13, torchvision 0.14, python3-onnx):
  /usr/bin/python3 tools/make_model_fixtures.py --out DIR [--models resnet18,googlenet]
  /usr/bin/python3 tools/make_model_fixtures.py --check-state MODEL --fixtures DIR --state OUT.pt --ref ref_recal.pt
The tests do not run this by hand: tools/modelFixtures.ts runs it on demand and caches the output under
.tmp/models/<hash of this file>/, so the large files (the checkpoints are tens of MB) are never committed.

For every model (torchvision, weights=None, fixed seed, input 2x3x64x64):
  1. BatchNorm affine parameters are randomized and a few train batches run, so running statistics and
     num_batches_tracked are not the defaults;
  2. the model is exported as a user would (model.train(), training=TrainingMode.TRAINING,
     do_constant_folding=False; opsets 13-17 spread over the models; three with a dynamic batch dimension)
     and checked with onnx.checker;
  3. more train batches and a small perturbation of every parameter give the checkpoint, so the ONNX
     initializers and the checkpoint differ and `--weights` is what decides the numbers. Checkpoints come
     as a training dict {'epoch', 'state_dict', ...}, a plain state dict, or a `module.`-prefixed one;
  4. inputs as .npy (for the CLI) and all together in inputs.pt (for engine tests), and torch references
     (torch.save'd dicts; the engine reads them with loadCheckpoint):
     ref_eval.pt   {'output'}: eval output on x_eval.npy with the checkpoint's weights
     ref_train.pt  {'output', 'state'}: output of the second of 2 train passes (x_train0/1.npy) and every
                   BatchNorm buffer (running_mean, running_var, num_batches_tracked) after them
     ref_recal.pt  {'state', 'output'}: precise BN over x_recal.npy in batches of RECAL_BATCH (running
                   stats reset, momentum=None, train mode with dropout off, momentum restored, eval after)
                   and the eval output on x_eval.npy after it
     ref_sgd.pt    {'params', 'params1', 'losses', 'state', 'float32_loss1'}: SGD_STEPS plain SGD steps
                   (lr SGD_LR) with cross-entropy on x_sgd.npy / y_sgd.npy (int64 class indices), BatchNorm
                   in train mode, computed in float64 (model.double(), input double); params1 after the
                   first step. Float64 because in float32 these steps are ill-conditioned for most of the
                   networks: depthwise convolutions at 2x2 spatial size and batch 2 leave channels whose
                   batch variance is far below eps, BatchNorm's backward amplifies rounding there, and one
                   float32 ulp on weights and input moved torch's own parameters by up to 0.3 (ShuffleNet)
                   after 2 steps. float32_loss1 is the first step's loss in float32 (a train-mode forward,
                   well-conditioned), for a check of the float32 path users run.
  Dropout is OFF (its modules in eval mode) for the train passes, recalibration and SGD steps; the
  engine side does the same (setDropout(false)), since the two random streams cannot match.
manifest.json lists every model with its files, opset, checkpoint layout and state-dict path, and the
time each took to generate.
"""
import argparse
import collections
import hashlib
import json
import os
import sys
import time

sys.dont_write_bytecode = True

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402

torch.set_num_threads(1)  # the summation order does not depend on the thread count

SIZE = (2, 3, 64, 64)
RECAL_SAMPLES = 6
RECAL_BATCH = 4  # batches of 4 and 2: the last batch is short, as in a real loader
SGD_STEPS = 2
SGD_LR = 0.01
TRAIN_PASSES = 2

tv = torchvision.models

# name -> (builder, opset, checkpoint layout). Layouts: 'training-dict' ({'epoch', 'state_dict',
# 'optimizer'}), 'plain' (the state dict at the root), 'module-prefix' (DataParallel's `module.` keys).
MODELS = collections.OrderedDict([
    ('resnet18', (lambda: tv.resnet18(weights=None), 13, 'training-dict')),
    ('mobilenet_v2', (lambda: tv.mobilenet_v2(weights=None), 14, 'plain')),
    ('mobilenet_v3_small', (lambda: tv.mobilenet_v3_small(weights=None), 15, 'module-prefix')),
    ('shufflenet_v2_x0_5', (lambda: tv.shufflenet_v2_x0_5(weights=None), 16, 'training-dict')),
    ('googlenet', (lambda: tv.googlenet(weights=None, aux_logits=False, init_weights=True), 17, 'plain')),
    ('regnet_y_400mf', (lambda: tv.regnet_y_400mf(weights=None), 13, 'plain')),
    ('densenet121', (lambda: tv.densenet121(weights=None), 14, 'training-dict')),
    ('mnasnet0_5', (lambda: tv.mnasnet0_5(weights=None), 17, 'module-prefix')),
])


DYNAMIC_BATCH = ('mobilenet_v3_small', 'shufflenet_v2_x0_5', 'densenet121')


def seed_for(name):
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def build_tiny():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 5))


def build(name):
    if name == 'tiny':
        return build_tiny()
    torch.manual_seed(seed_for(name))
    return MODELS[name][0]()


def bn_modules(model):
    return [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def set_dropout(model, enabled):
    for m in model.modules():
        if isinstance(m, torch.nn.modules.dropout._DropoutNd):
            m.train(enabled and model.training)


def train_mode_without_dropout(model):
    model.train()
    set_dropout(model, False)


def randn(gen, *shape):
    return torch.randn(*shape, generator=gen)


def save_npy(path, t):
    np.save(path, t.detach().numpy())


def bn_state(model):
    out = collections.OrderedDict()
    for n, m in bn_modules(model):
        out[n + '.running_mean'] = m.running_mean.clone()
        out[n + '.running_var'] = m.running_var.clone()
        out[n + '.num_batches_tracked'] = m.num_batches_tracked.clone()
    return out


def make_checkpoint(model, layout):
    sd = model.state_dict()
    if layout == 'plain':
        return sd, ''
    if layout == 'module-prefix':
        wrapped = collections.OrderedDict(('module.' + k, v) for k, v in sd.items())
        wrapped._metadata = collections.OrderedDict(
            (('module.' + k) if k else 'module', v) for k, v in sd._metadata.items())
        return wrapped, ''
    return {'epoch': 7, 'arch': 'torchvision', 'state_dict': sd, 'best_acc1': torch.tensor(0.25)}, 'state_dict'


def precise_bn(model, x, batch):
    """Precise BatchNorm as fvcore/detectron2 do it: reset, cumulative average (momentum=None)."""
    saved = {}
    for n, m in bn_modules(model):
        saved[n] = m.momentum
        m.reset_running_stats()
        m.momentum = None
    train_mode_without_dropout(model)
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            model(x[i:i + batch])
    for n, m in bn_modules(model):
        m.momentum = saved[n]
    model.eval()


def generate(name, out_dir):
    import onnx
    t0 = time.time()
    builder, opset, layout = MODELS[name]
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    gen = torch.Generator().manual_seed(seed_for(name) + 1)
    model = build(name)
    with torch.no_grad():
        for _, m in bn_modules(model):
            m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=gen))
            m.bias.copy_(0.1 * randn(gen, *m.bias.shape))
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(randn(gen, 4, 3, 64, 64))
    # 2. the export, as the docs tell a user to write it
    onnx_path = os.path.join(d, 'model.onnx')
    # Most exports use the plain line (the batch dimension fixed at 2: recalibration in batches of 4 must
    # still run); three declare a symbolic batch dimension as dynamic_axes does. ShuffleNet needs it: with
    # a fixed input shape torch.onnx.export writes channel_shuffle's view sizes as constants (batch 2).
    dynamic = {'input': {0: 'batch'}, 'logits': {0: 'batch'}} if name in DYNAMIC_BATCH else None
    torch.onnx.export(model.train(), randn(gen, *SIZE), onnx_path, training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False, opset_version=opset, input_names=['input'], output_names=['logits'],
                      dynamic_axes=dynamic)
    onnx.checker.check_model(onnx.load(onnx_path))
    # 3. the checkpoint differs from the initializers
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(randn(gen, 4, 3, 64, 64))
        for p in model.parameters():
            p.add_(0.01 * randn(gen, *p.shape))
    ckpt, sd_path = make_checkpoint(model, layout)
    torch.save(ckpt, os.path.join(d, 'checkpoint.pt'))
    base = model.state_dict()  # keeps _metadata (MNASNet refuses a state dict without its version)
    for k in base:
        base[k] = base[k].clone()

    def restore():
        model.load_state_dict(base, strict=True)

    # 4a. eval output
    x_eval = randn(gen, *SIZE)
    save_npy(os.path.join(d, 'x_eval.npy'), x_eval)
    model.eval()
    with torch.no_grad():
        torch.save({'output': model(x_eval)}, os.path.join(d, 'ref_eval.pt'))
    # 4b. train passes
    restore()
    xs = [randn(gen, *SIZE) for _ in range(TRAIN_PASSES)]
    for i, x in enumerate(xs):
        save_npy(os.path.join(d, 'x_train%d.npy' % i), x)
    train_mode_without_dropout(model)
    with torch.no_grad():
        for x in xs:
            y = model(x)
    torch.save({'output': y, 'state': bn_state(model)}, os.path.join(d, 'ref_train.pt'))
    # 4c. recalibration
    restore()
    x_recal = randn(gen, RECAL_SAMPLES, *SIZE[1:])
    save_npy(os.path.join(d, 'x_recal.npy'), x_recal)
    precise_bn(model, x_recal, RECAL_BATCH)
    with torch.no_grad():
        out = model(x_eval)
    torch.save({'state': bn_state(model), 'output': out}, os.path.join(d, 'ref_recal.pt'))
    # 4d. SGD steps with cross-entropy
    restore()
    x_sgd = randn(gen, *SIZE)
    y_sgd = torch.randint(0, 1000, (SIZE[0],), generator=gen)
    save_npy(os.path.join(d, 'x_sgd.npy'), x_sgd)
    np.save(os.path.join(d, 'y_sgd.npy'), y_sgd.numpy().astype(np.int64))
    # The same inputs as one torch file, for engine tests (the engine reads .pt, not .npy).
    torch.save({'x_eval': x_eval, 'x_train0': xs[0], 'x_train1': xs[1], 'x_recal': x_recal, 'x_sgd': x_sgd,
                'y_sgd': y_sgd}, os.path.join(d, 'inputs.pt'))
    t_sgd = time.time()
    train_mode_without_dropout(model)
    with torch.no_grad():
        loss32 = torch.nn.functional.cross_entropy(model(x_sgd), y_sgd)
    restore()
    model.double()
    losses, params, params1 = sgd_steps(model, x_sgd.double(), y_sgd)
    torch.save({'params': params, 'params1': params1, 'state': bn_state(model),
                'losses': torch.tensor(losses, dtype=torch.float64), 'float32_loss1': loss32},
               os.path.join(d, 'ref_sgd.pt'))
    sgd_seconds = time.time() - t_sgd
    n_bn = len(bn_modules(model))
    return {
        'opset': opset, 'checkpointLayout': layout, 'stateDictPath': sd_path, 'dynamicBatch': dynamic is not None,
        'parameters': sum(p.numel() for p in model.parameters()), 'batchNorm': n_bn,
        'dropout': sum(1 for m in model.modules() if isinstance(m, torch.nn.modules.dropout._DropoutNd)),
        'sgdSeconds': round(sgd_seconds, 2), 'seconds': round(time.time() - t0, 2),
    }


def sgd_steps(model, x, y):
    train_mode_without_dropout(model)
    opt = torch.optim.SGD(model.parameters(), lr=SGD_LR)
    losses = []
    snapshots = []
    for _ in range(SGD_STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        snapshots.append(collections.OrderedDict((k, p.detach().clone()) for k, p in model.named_parameters()))
    return losses, snapshots[-1], snapshots[0]


def generate_small(out_dir):
    """Tiny models for fast CLI tests: conv-bn-relu-pool-linear, and one with an op NormScope lacks (Erf)."""
    import onnx
    torch.manual_seed(0)
    tiny = build_tiny()
    d = os.path.join(out_dir, 'tiny')
    os.makedirs(d, exist_ok=True)
    x = torch.randn(4, 3, 6, 6)
    torch.onnx.export(tiny.train(), x, os.path.join(d, 'model.onnx'), training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False, opset_version=15, input_names=['input'], output_names=['logits'])
    onnx.checker.check_model(onnx.load(os.path.join(d, 'model.onnx')))
    with torch.no_grad():
        tiny(torch.randn(4, 3, 6, 6))
    torch.save({'epoch': 1, 'state_dict': tiny.state_dict()}, os.path.join(d, 'checkpoint.pt'))
    # A checkpoint that does not fit: BatchNorm with 6 channels instead of 4.
    bad = tiny.state_dict()
    bad['1.running_mean'] = torch.zeros(6)
    torch.save(bad, os.path.join(d, 'checkpoint_wrong_shape.pt'))
    save_npy(os.path.join(d, 'x.npy'), x)
    np.save(os.path.join(d, 'y.npy'), np.array([0, 3, 1, 4], dtype=np.int64))
    save_npy(os.path.join(d, 'y_mse.npy'), torch.randn(4, 5))
    gelu = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.GELU())
    torch.onnx.export(gelu, torch.randn(2, 4), os.path.join(out_dir, 'unsupported_op.onnx'), opset_version=13,
                      do_constant_folding=False, input_names=['input'], output_names=['out'])
    # Two inputs (NAME=X.npy on the CLI).
    class TwoIn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = torch.nn.BatchNorm1d(3)

        def forward(self, a, b):
            return self.bn(a) + b

    torch.onnx.export(TwoIn().train(), (torch.randn(4, 3), torch.randn(4, 3)), os.path.join(out_dir, 'two_inputs.onnx'),
                      training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False, opset_version=14,
                      input_names=['a', 'b'], output_names=['sum'])


def check_state(name, fixtures, state_file, ref_file):
    """Loads a state dict NormScope wrote into the torchvision model (weights_only, strict) and, given a
    reference, compares its BatchNorm buffers and eval output with it. Prints one JSON object."""
    model = build(name)
    sd = torch.load(state_file, weights_only=True)
    meta = getattr(sd, '_metadata', None)
    result = model.load_state_dict(sd, strict=True)
    bn_versions = sorted({meta[n]['version'] for n, _ in bn_modules(model)}) if meta is not None else None
    if not ref_file:
        print(json.dumps({'missing': list(result.missing_keys), 'unexpected': list(result.unexpected_keys),
                          'bnVersions': bn_versions, 'keys': len(sd)}))
        return
    ref = torch.load(ref_file, weights_only=True)
    worst = 0.0
    for k, v in ref['state'].items():
        a = sd[k].double()
        b = v.double()
        worst = max(worst, float(((a - b).abs() / b.abs().clamp(min=1)).max()))
    model.eval()
    x = torch.from_numpy(np.load(os.path.join(fixtures, name, 'x_eval.npy')))
    with torch.no_grad():
        out = model(x)
    out_err = float(((out.double() - ref['output'].double()).abs() / ref['output'].double().abs().clamp(min=1)).max())
    print(json.dumps({'missing': list(result.missing_keys), 'unexpected': list(result.unexpected_keys),
                      'maxStateRelErr': worst, 'maxOutputRelErr': out_err, 'bnVersions': bn_versions}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out')
    ap.add_argument('--models', default=','.join(MODELS))
    ap.add_argument('--check-state')
    ap.add_argument('--fixtures')
    ap.add_argument('--state')
    ap.add_argument('--ref')
    a = ap.parse_args()
    if a.check_state:
        check_state(a.check_state, a.fixtures, a.state, a.ref)
        return
    if not a.out:
        ap.error('--out DIR is required')
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    generate_small(a.out)
    manifest = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'size': list(SIZE),
                'recalBatch': RECAL_BATCH, 'sgd': {'steps': SGD_STEPS, 'lr': SGD_LR, 'loss': 'cross-entropy'},
                'trainPasses': TRAIN_PASSES, 'models': collections.OrderedDict()}
    for name in a.models.split(','):
        if name not in MODELS:
            ap.error('unknown model %r (known: %s)' % (name, ', '.join(MODELS)))
        manifest['models'][name] = generate(name, a.out)
    manifest['seconds'] = round(time.time() - t0, 2)
    with open(os.path.join(a.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)


if __name__ == '__main__':
    main()
