"""Fixtures for construction (item 1), module casts (item 7), load_state_dict (item 8) and lazy modules (item 9)."""
import collections
import warnings

import torch
from torch import nn

from common import capture, dtype_name, enc, gen_input, gen_vector, metadata_of, module_state, state_dict_entries
from scenario import build

warnings.filterwarnings('ignore', message='Lazy modules are a new feature')

CLASSES = ['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'SyncBatchNorm']


def describe(m):
    sd = m.state_dict()
    return {
        'stateDict': state_dict_entries(sd),
        'metadata': metadata_of(sd),
        'parameters': [n for n, _ in m.named_parameters()],
        'buffers': [n for n, _ in m.named_buffers()],
        'extraRepr': m.extra_repr(),
        'repr': repr(m),
        'attrs': {'numFeatures': m.num_features, 'eps': m.eps, 'momentum': m.momentum, 'affine': m.affine,
                  'trackRunningStats': m.track_running_stats, 'training': m.training},
    }


def init_cases():
    cases = []
    for cls in CLASSES:
        for affine in (True, False):
            for track in (True, False):
                for dt in ('float32', 'float64'):
                    args = {'numFeatures': 4, 'affine': affine, 'trackRunningStats': track, 'dtype': dt}
                    cases.append({'name': f'{cls} affine={affine} track={track} {dt}', 'class': cls, 'args': args,
                                  'expect': describe(build(cls, args))})
    for eps, mom in ((1e-3, None), (0.1, 0.3), (1e-05, 0.1), (2.5e-7, 1.0)):
        args = {'numFeatures': 64, 'eps': eps, 'momentum': mom, 'dtype': 'float32'}
        cases.append({'name': f'extra_repr eps={eps} momentum={mom}', 'class': 'BatchNorm2d', 'args': args,
                      'expect': describe(build('BatchNorm2d', args))})
    return cases


def nested_model():
    """Sequential(Linear(4,3), BatchNorm1d(3), ReLU(), Sequential(BatchNorm1d(3, affine=False), Flatten()))."""
    inner = nn.Sequential(nn.BatchNorm1d(3, affine=False), nn.Flatten())
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), inner)


NESTED_SPEC = [
    {'type': 'Linear', 'inFeatures': 4, 'outFeatures': 3},
    {'type': 'BatchNorm1d', 'numFeatures': 3},
    {'type': 'ReLU'},
    {'type': 'Sequential', 'layers': [{'type': 'BatchNorm1d', 'numFeatures': 3, 'affine': False}, {'type': 'Flatten'}]},
]


def nested_case():
    m = nested_model()
    sd = m.state_dict()
    return {'name': 'nested Sequential key order and metadata', 'layers': NESTED_SPEC,
            'expect': {'stateDict': state_dict_entries(sd, values=False), 'metadata': metadata_of(sd),
                       'modules': [[n, type(x).__name__] for n, x in m.named_modules()],
                       'parameters': [n for n, _ in m.named_parameters()],
                       'buffers': [n for n, _ in m.named_buffers()], 'repr': repr(m)}}


def cast_cases():
    cases = []
    for to in ('float64', 'float32', 'float16'):
        m = nn.BatchNorm2d(3)
        m.train()
        m(gen_input(7, (4, 3, 2, 2), 'float32'))
        m = {'float64': m.double, 'float32': m.float, 'float16': m.half}[to]()
        sd = m.state_dict()
        cases.append({'name': f'cast to {to} keeps the counter int64', 'class': 'BatchNorm2d', 'to': to,
                      'expect': {'dtypes': {k: dtype_name(v.dtype) for k, v in sd.items()},
                                 'numBatchesTracked': int(m.num_batches_tracked)}})
    return cases


def _bn_sd(c, seed, dtype=torch.float32, counter=3):
    sd = collections.OrderedDict()
    sd['weight'] = gen_vector(seed, c, 'float64', 1.0, 0.3).to(dtype)
    sd['bias'] = gen_vector(seed + 1, c, 'float64', 0.0, 0.2).to(dtype)
    sd['running_mean'] = gen_vector(seed + 2, c, 'float64', 0.0, 0.5).to(dtype)
    sd['running_var'] = gen_vector(seed + 3, c, 'float64', 1.5, 0.2).to(dtype)
    sd['num_batches_tracked'] = torch.tensor(counter, dtype=torch.long)
    return sd


def _enc_sd(sd, metadata):
    """An input state dict for the fixture: ordered entries and metadata (None = no _metadata at all)."""
    return {'entries': [{'key': k, 'value': enc(v)} for k, v in sd.items()], 'metadata': metadata}


def _bn_counters(m):
    """Module path → num_batches_tracked for every BatchNorm in the model (None when not tracking)."""
    out = {}
    for name, mod in m.named_modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            nbt = mod.num_batches_tracked
            out[name] = None if nbt is None else int(nbt)
    return out


def _load(name, make_module, sd, metadata, strict, module_desc, own_counter=None, note=None):
    """Loads `sd` (with `metadata` as its _metadata) and records the result or error, and the module's
    state afterwards (PyTorch copies every matching key before it raises, so the state after an error
    is part of the behaviour). `own_counter` presets every BatchNorm counter before loading."""
    m = make_module()
    if own_counter is not None:
        for mod in m.modules():
            if isinstance(mod, nn.modules.batchnorm._BatchNorm) and mod.num_batches_tracked is not None:
                mod.num_batches_tracked.fill_(own_counter)
    sd = collections.OrderedDict(sd)
    if metadata is not None:
        sd._metadata = collections.OrderedDict((k, dict(v)) for k, v in metadata.items())
    res, err = capture(lambda: m.load_state_dict(sd, strict=strict))
    out = {'name': name, 'module': module_desc, 'ownCounter': own_counter, 'strict': strict,
           'stateDict': _enc_sd(sd, metadata)}
    if note:
        out['note'] = note
    state = module_state(m) if isinstance(m, nn.modules.batchnorm._BatchNorm) else None
    if err:
        out['expect'] = {'error': err}
    else:
        out['expect'] = {'missingKeys': list(res.missing_keys), 'unexpectedKeys': list(res.unexpected_keys)}
    out['expect'].update({'state': state, 'counters': _bn_counters(m)})
    return out


def load_cases():
    bn4 = {'class': 'BatchNorm2d', 'args': {'numFeatures': 4}}
    mk = lambda: nn.BatchNorm2d(4)  # noqa: E731
    v2 = {'': {'version': 2}}
    cases = []
    full = _bn_sd(4, 11)
    cases.append(_load('exact round trip', mk, full, v2, True, bn4))
    partial = collections.OrderedDict((k, v) for k, v in full.items() if k not in ('running_var', 'num_batches_tracked'))
    for strict in (True, False):
        cases.append(_load(f'missing keys strict={strict}', mk, partial, v2, strict, bn4))
    extra = collections.OrderedDict(full)
    extra['extra'] = torch.zeros(2)
    extra['foo.bar'] = torch.ones(1)
    for strict in (True, False):
        cases.append(_load(f'unexpected keys strict={strict}', mk, extra, v2, strict, bn4))
    both = collections.OrderedDict(partial)
    both['extra'] = torch.zeros(2)
    for strict in (True, False):
        cases.append(_load(f'missing and unexpected strict={strict}', mk, both, v2, strict, bn4))
    small = _bn_sd(3, 12)
    for strict in (True, False):
        cases.append(_load(f'size mismatch raises strict={strict}', mk, small, v2, strict, bn4))
    mixed = collections.OrderedDict(full)
    mixed['running_mean'] = torch.zeros(3)
    del mixed['bias']
    mixed['extra'] = torch.zeros(1)
    for strict in (True, False):
        cases.append(_load(f'size mismatch with missing and unexpected strict={strict}', mk, mixed, v2, strict, bn4))
    one_dim = collections.OrderedDict(full)
    one_dim['num_batches_tracked'] = torch.tensor([5], dtype=torch.long)
    cases.append(_load('1-dim counter loads into the 0-dim buffer', mk, one_dim, v2, True, bn4))
    f64 = _bn_sd(4, 13, torch.float64)
    cases.append(_load('float64 values cast into a float32 module', mk, f64, v2, True, bn4))
    no_counter = collections.OrderedDict((k, v) for k, v in full.items() if k != 'num_batches_tracked')
    diff = ('seed (PyTorch >= 2.2) keeps the module\'s own counter; PyTorch 1.13 (this oracle) injects a fresh 0. '
            'The engine follows the seed.')
    for md, label in (({'': {'version': 1}}, 'version 1'), ({'': {}}, 'no version'), (None, 'no _metadata')):
        c = _load(f'{label}: counter migration', mk, no_counter, md, True, bn4, own_counter=7, note=diff)
        c['seedCounters'] = {'': 7}
        cases.append(c)
    cases.append(_load('version 1 with a counter key loads the key', mk, full, {'': {'version': 1}}, True, bn4,
                       own_counter=7))
    cases.append(_load('version 2 without counter is a missing key', mk, no_counter, v2, True, bn4, own_counter=7))
    nt = {'class': 'BatchNorm2d', 'args': {'numFeatures': 4, 'trackRunningStats': False}}
    wb = collections.OrderedDict((k, v) for k, v in full.items() if k in ('weight', 'bias'))
    cases.append(_load('version 1, not tracking: nothing injected', lambda: nn.BatchNorm2d(4, track_running_stats=False),
                       wb, {'': {'version': 1}}, True, nt))
    # Nested: prefixes in the messages, the class name of the root.
    nested = nested_model()
    nsd = nested.state_dict()
    bad = collections.OrderedDict(nsd)
    del bad['1.running_var']
    bad['3.0.running_mean'] = torch.zeros(5)
    bad['2.weight'] = torch.zeros(1)
    md = {k: dict(v) for k, v in nsd._metadata.items()}
    for k in list(bad):
        if k.startswith('0.'):
            bad[k] = torch.zeros_like(bad[k])  # deterministic Linear values
    for strict in (True, False):
        cases.append(_load(f'nested Sequential messages strict={strict}', nested_model, bad, md, strict,
                           {'layers': NESTED_SPEC}))
    nested_v1 = collections.OrderedDict((k, torch.zeros_like(v) if k.startswith('0.') else v) for k, v in nsd.items()
                                        if not k.endswith('num_batches_tracked'))
    md1 = {k: ({'version': 1} if k in ('1', '3.0') else dict(v)) for k, v in nsd._metadata.items()}
    c = _load('nested version 1 migration fills both counters', nested_model, nested_v1, md1, True,
              {'layers': NESTED_SPEC}, own_counter=7, note=diff)
    c['seedCounters'] = {'1': 7, '3.0': 7}
    cases.append(c)
    return cases


LAZY = {'LazyBatchNorm1d': (nn.LazyBatchNorm1d, nn.BatchNorm1d, (4, 3, 2)),
        'LazyBatchNorm2d': (nn.LazyBatchNorm2d, nn.BatchNorm2d, (2, 3, 2, 2)),
        'LazyBatchNorm3d': (nn.LazyBatchNorm3d, nn.BatchNorm3d, (2, 3, 2, 1, 2))}


def _lazy_sd_desc(m):
    out = []
    for k, v in m.state_dict().items():
        unin = isinstance(v, nn.parameter.UninitializedTensorMixin)
        out.append({'key': k, 'uninitialized': unin,
                    'dtype': dtype_name(v.dtype), 'shape': None if unin else list(v.shape)})
    return out


def _uninitialized(m):
    return any(isinstance(t, nn.parameter.UninitializedTensorMixin) for t in [*m.parameters(), *m.buffers()])


def lazy_cases():
    cases = []
    for name, (lazy_cls, eager_cls, shape) in LAZY.items():
        for affine in (True, False):
            for track in (True, False):
                args = {'affine': affine, 'trackRunningStats': track, 'momentum': 0.3}
                m = lazy_cls(momentum=0.3, affine=affine, track_running_stats=track, dtype=torch.float64)
                before = {'class': type(m).__name__, 'repr': repr(m), 'stateDict': _lazy_sd_desc(m),
                          'numBatchesTracked': None if m.num_batches_tracked is None else int(m.num_batches_tracked)}
                x = gen_input(21, shape, 'float64')
                y = m(x)
                eager = eager_cls(shape[1], momentum=0.3, affine=affine, track_running_stats=track,
                                  dtype=torch.float64)
                ye = eager(x)
                assert torch.equal(y, ye)
                after = {'class': type(m).__name__, 'repr': repr(m), 'numFeatures': m.num_features,
                         'output': enc(y), 'state': module_state(m), 'stateDict': state_dict_entries(m.state_dict()),
                         'metadata': metadata_of(m.state_dict())}
                cases.append({'name': f'{name} affine={affine} track={track} materializes on first forward',
                              'kind': 'forward', 'class': name, 'args': {**args, 'dtype': 'float64'},
                              'input': enc(x), 'expect': {'before': before, 'after': after}})
        # Eager state into a lazy module: shapes materialize from the checkpoint.
        eager = eager_cls(3)
        sd = _bn_sd(3, 31)
        eager.load_state_dict(sd)
        m = lazy_cls()
        res, err = capture(lambda: m.load_state_dict(eager.state_dict()))
        assert err is None
        class_after_load = type(m).__name__
        repr_after_load = repr(m)  # num_features stays 0: loading materializes tensors, not the attribute
        x = gen_input(22, shape, 'float32')
        m.eval()
        eager.eval()
        y = m(x)
        cases.append({'name': f'{name} loads an eager state dict, then evaluates like the eager module',
                      'kind': 'loadEager', 'class': name, 'stateDict': _enc_sd(eager.state_dict(), {'': {'version': 2}}),
                      'input': enc(x),
                      'expect': {'classAfterLoad': class_after_load, 'state': module_state(m), 'output': enc(y),
                                 'outputEager': enc(eager(x)), 'classAfterForward': type(m).__name__,
                                 'reprAfterLoad': repr_after_load, 'reprAfterForward': repr(m)}})
        # A bad first input: PyTorch materializes from input.shape[1] before forward checks the
        # dimensions, so a wrong-rank input leaves a materialized, concrete module behind; a 1-D
        # input fails inside the materialization (input.shape[1] does not exist).
        for bad in ((4, 3, 2, 2, 2, 2), (5,)):
            m3 = lazy_cls()
            x3 = torch.zeros(bad)
            _, err = capture(lambda: m3(x3))
            cases.append({'name': f'{name} first input of shape {list(bad)}', 'kind': 'badInput', 'class': name,
                          'shape': list(bad), 'expect': {'error': err, 'classAfter': type(m3).__name__,
                                                         'numFeaturesAfter': m3.num_features,
                                                         'state': None if _uninitialized(m3) else module_state(m3)}})
        # Lazy (uninitialized) state into an eager module: refused.
        m2 = lazy_cls()
        e2 = eager_cls(3)
        _, err = capture(lambda: e2.load_state_dict(m2.state_dict()))
        cases.append({'name': f'{name} uninitialized state into an eager module is refused', 'kind': 'loadLazy',
                      'class': name, 'eager': {'numFeatures': 3}, 'expect': {'error': err}})
    return cases
