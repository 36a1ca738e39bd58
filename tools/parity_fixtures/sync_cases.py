"""SyncBatchNorm fixtures (item 10, single process): input checks, the device-rule difference,
convert_sync_batchnorm, and the numbers a simulated multi-rank run must reproduce.

Multi-rank equivalence: SyncBatchNorm over W ranks must equal BatchNorm over the concatenation of the
ranks' batches (SPEC.md). PyTorch 1.13 has no CPU kernels for batch_norm_stats /
batch_norm_gather_stats_with_counts, so the oracle here is real BatchNorm on the concatenation plus the
per-rank halves computed with plain torch ops in float64 (local mean/invstd/count, local Σdy and
Σ(x−mean)·dy with the global mean, local weight/bias grads). The lead's simulated-gather tests feed
the per-rank inputs through the engine's halves and compare with these numbers.
"""
import torch
from torch import nn

from common import DTYPES, capture, dec, enc, gen_input, gen_vector, metadata_of, module_state, state_dict_entries
from state_cases import NESTED_SPEC, nested_model


def input_check_cases():
    m = nn.SyncBatchNorm(10)
    cases = []
    for shape in ((10,), (4, 0, 3), (4, 0)):
        x = torch.zeros(shape)

        def checks():
            m._check_input_dim(x)
            m._check_non_zero_input_channels(x)

        _, err = capture(checks)
        _, fwd_err = capture(lambda: m(x))
        cases.append({'name': f'SyncBatchNorm input checks on {list(shape)}', 'shape': list(shape),
                      'expect': {'error': err, 'torch113ForwardOnCpu': fwd_err}})
    # Valid shapes: 1.13 refuses every CPU input before any check (the device rule moved in 2.x, see seed).
    _, fwd_err = capture(lambda: m(torch.zeros(4, 10)))
    cases.append({'name': 'SyncBatchNorm on a CPU tensor without a process group', 'shape': [4, 10],
                  'expect': {'error': None, 'torch113ForwardOnCpu': fwd_err,
                             'seed': 'falls back to F.batch_norm (no process group initialized)'}})
    return cases


def _describe_modules(m, seed_training):
    """`training` is what 1.13 leaves (it does not carry the flag over: the converted module is in
    training mode); `seedTraining` is the seed's (PyTorch 2.x copies `module.training`), which the
    tests pin."""
    out = []
    for name, mod in m.named_modules():
        out.append({'name': name, 'class': type(mod).__name__, 'training': mod.training,
                    'seedTraining': seed_training[name], 'qconfig': getattr(mod, 'qconfig', None)})
    return out


def _shared(a, b):
    """Which BatchNorm tensors the converted module shares (same object) with the original."""
    attrs = (('weight', 'weight'), ('bias', 'bias'), ('runningMean', 'running_mean'), ('runningVar', 'running_var'),
             ('numBatchesTracked', 'num_batches_tracked'))
    return {k: (getattr(a, v) is getattr(b, v)) if getattr(a, v) is not None else None for k, v in attrs}


def convert_cases():
    cases = []
    for affine, track in ((True, True), (False, True), (True, False)):
        bn = nn.BatchNorm2d(3, eps=1e-3, momentum=None, affine=affine, track_running_stats=track)
        bn(gen_input(41, (2, 3, 2, 2), 'float32'))
        bn.eval()
        bn.qconfig = 'qconfig-marker'
        seed_training = {n: x.training for n, x in bn.named_modules()}
        out = nn.SyncBatchNorm.convert_sync_batchnorm(bn)
        sd = out.state_dict()
        cases.append({'name': f'root BatchNorm2d affine={affine} track={track} becomes a new SyncBatchNorm',
                      'root': {'class': 'BatchNorm2d', 'args': {'numFeatures': 3, 'eps': 1e-3, 'momentum': None,
                                                                'affine': affine, 'trackRunningStats': track}},
                      'trainInput': enc(gen_input(41, (2, 3, 2, 2), 'float32')), 'eval': True,
                      'qconfig': 'qconfig-marker',
                      'expect': {'sameObject': out is bn, 'modules': _describe_modules(out, seed_training), 'shared': _shared(out, bn),
                                 'state': module_state(out), 'stateDict': state_dict_entries(sd),
                                 'metadata': metadata_of(sd), 'repr': repr(out)}})
    m = nested_model()
    m[1].eval()
    m[3][0].qconfig = 'inner-qconfig'
    seed_training = {n: x.training for n, x in m.named_modules()}
    out = nn.SyncBatchNorm.convert_sync_batchnorm(m)
    sd = out.state_dict()
    cases.append({'name': 'nested Sequential: BatchNorms converted in place, tensors shared, training/qconfig kept',
                  'layers': NESTED_SPEC, 'evalPaths': ['1'], 'qconfigs': {'3.0': 'inner-qconfig'},
                  'expect': {'sameObject': out is m, 'modules': _describe_modules(out, seed_training),
                             'sharedByPath': {'1': _shared(out[1], m[1]), '3.0': _shared(out[3][0], m[3][0])},
                             'stateDict': state_dict_entries(sd, values=False), 'metadata': metadata_of(sd),
                             'repr': repr(out)}})
    return cases


def _local_stats(x, eps):
    c = x.shape[1]
    flat = x.transpose(0, 1).reshape(c, -1)
    n = flat.shape[1]
    if n == 0:
        z = torch.zeros(c, dtype=torch.float64)
        return z, z, 0
    var, mean = torch.var_mean(flat.double(), dim=1, unbiased=False)
    return mean, 1.0 / torch.sqrt(var + eps), n


def _per_channel_sum(t):
    c = t.shape[1]
    return t.transpose(0, 1).reshape(c, -1).double().sum(dim=1)


def concat_run(spec):
    """Fills a concatenation case: `spec` holds numFeatures, eps, momentum, dtype, perRankBatch,
    spatial, init {weight, bias} (optional affine / trackRunningStats, default true) and steps
    [{ranks: [{input, gradOut}]}]. Every step trains real
    BatchNorm on the concatenation of the ranks' inputs; each rank record gets its slice of the
    output and input grad, its local statistics and gradient sums, and the step gets the global ones.
    Shared by the fixture generator and the live differential oracle."""
    c, eps, momentum, dtype = spec['numFeatures'], spec['eps'], spec['momentum'], spec['dtype']
    spatial = tuple(spec['spatial'])
    dt = {'float32': torch.float32, 'float64': torch.float64}[dtype]
    affine, track = spec.get('affine', True), spec.get('trackRunningStats', True)
    cls = {0: nn.BatchNorm1d, 1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}[len(spatial)]
    bn = cls(c, eps=eps, momentum=momentum, affine=affine, track_running_stats=track, dtype=dt)
    if affine:
        with torch.no_grad():
            bn.weight.copy_(dec(spec['init']['weight']))
            bn.bias.copy_(dec(spec['init']['bias']))
    out_steps = []
    for step in spec['steps']:
        xs = [dec(r['input']) for r in step['ranks']]
        gs = [dec(r['gradOut']) for r in step['ranks']]
        x = torch.cat(xs).requires_grad_(True)
        bn.zero_grad(set_to_none=True)
        y = bn(x)
        y.backward(torch.cat(gs))
        xd = x.detach().double()
        gmean, ginvstd, gcount = _local_stats(xd, eps)
        view = [1, c] + [1] * len(spatial)
        ranks = []
        offset = 0
        for r, xr_in in enumerate(xs):
            n = xr_in.shape[0]
            xr, gr = xr_in.double(), gs[r].double()
            lmean, linvstd, lcount = _local_stats(xr, eps)
            xmu = xr - gmean.reshape(view)
            sum_dy = _per_channel_sum(gr)
            sum_dy_xmu = _per_channel_sum(xmu * gr)
            ranks.append({'input': enc(xs[r]), 'gradOut': enc(gs[r]), 'count': lcount,
                          'localMean': enc(lmean), 'localInvstd': enc(linvstd),
                          'output': enc(y[offset:offset + n]), 'gradInput': enc(x.grad[offset:offset + n]),
                          'sumDy': enc(sum_dy), 'sumDyXmu': enc(sum_dy_xmu),
                          # Local weight/bias grads in the module's dtype, like the parameters' .grad.
                          'gradWeight': enc((sum_dy_xmu * ginvstd).to(dt)) if affine else None,
                          'gradBias': enc(sum_dy.to(dt)) if affine else None})
            offset += n
        out_steps.append({'ranks': ranks,
                          'expect': {'mean': enc(gmean), 'invstd': enc(ginvstd), 'count': gcount,
                                     'sumDy': enc(_per_channel_sum(torch.cat(gs))),
                                     'sumDyXmu': enc(_per_channel_sum((xd - gmean.reshape(view)) * torch.cat(gs).double())),
                                     'gradWeight': enc(bn.weight.grad) if affine else None,
                                     'gradBias': enc(bn.bias.grad) if affine else None,
                                     'state': module_state(bn)}})
    return {'name': spec['name'], 'numFeatures': c, 'eps': eps, 'momentum': momentum, 'dtype': dtype,
            'perRankBatch': spec['perRankBatch'], 'spatial': list(spatial), 'init': spec['init'], 'steps': out_steps,
            **{k: spec[k] for k in ('affine', 'trackRunningStats') if k in spec}}


def concat_case(name, per_rank, spatial, c, momentum, dtype, steps, eps=1e-5, seed=0):
    """A fixture case with generated inputs: `per_rank` batch sizes, `steps` training steps."""
    init = {'weight': enc(gen_vector(seed + 1, c, 'float64', 1.0, 0.3).to(DTYPES[dtype])),
            'bias': enc(gen_vector(seed + 2, c, 'float64', 0.0, 0.2).to(DTYPES[dtype]))}
    step_specs = []
    for step in range(steps):
        step_specs.append({'ranks': [
            {'input': enc(gen_input(seed * 100 + step * 10 + r, (n, c, *spatial), dtype)),
             'gradOut': enc(gen_input(seed * 100 + step * 10 + r + 5000, (n, c, *spatial), dtype, 1.0, 0.0))}
            for r, n in enumerate(per_rank)]})
    return concat_run({'name': name, 'numFeatures': c, 'eps': eps, 'momentum': momentum, 'dtype': dtype,
                       'perRankBatch': per_rank, 'spatial': list(spatial), 'init': init, 'steps': step_specs})


def concat_cases():
    return [
        concat_case('4 ranks, uneven with an empty rank, 2D', [3, 0, 2, 5], (), 3, 0.1, 'float64', 2, seed=1),
        concat_case('3 ranks, 3D, one sample on a rank, momentum None', [1, 4, 2], (4,), 3, None, 'float64', 3, seed=2),
        concat_case('2 ranks, 4D, a single 2D sample with a partner rank', [1, 2], (2, 2), 2, 0.3, 'float64', 2,
                    seed=3),
        concat_case('5 ranks, 5D, two empty ranks', [0, 2, 0, 1, 3], (2, 1, 2), 3, 0.1, 'float64', 2, seed=4),
        concat_case('3 ranks float32, 3D', [2, 3, 4], (3,), 4, 0.1, 'float32', 2, eps=1e-3, seed=5),
        concat_case('world size 1 equals plain BatchNorm', [4], (3,), 3, 0.1, 'float64', 2, seed=6),
    ]
