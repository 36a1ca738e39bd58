#!/usr/bin/python3
"""Generates NormScope's checkpoint corpus with real PyTorch (Debian python3-torch 1.13 + torchvision 0.14).

Usage: /usr/bin/python3 tools/make_checkpoints.py [OUT_DIR]   (default engine/io/fixtures/corpus)
       /usr/bin/python3 tools/make_checkpoints.py --bench FILE [MB]   (one big ResNet-50-like file, not committed)

Writes every corpus file plus manifest.json: per file its format and, per tensor (full dotted key from the
root), shape, dtype, sum and sum of squares (float64), plus the state dicts with their _metadata, so tests
compare values without torch. Deterministic (fixed seeds).
"""
import collections, io, json, os, struct, sys, zipfile, pickle

import torch
import torch.nn as nn

torch.manual_seed(0)
OUT = 'engine/io/fixtures/corpus'


class TinyNet(nn.Module):
    """Small model with every BatchNorm flavour the engine models."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8, momentum=None), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 16)
        self.bn1d = nn.BatchNorm1d(16)
        self.bn_noaffine = nn.BatchNorm1d(16, affine=False)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        x = self.block(torch.relu(self.bn(self.conv(x))))
        x = self.fc(self.pool(x).flatten(1))
        return self.head(self.bn_noaffine(self.bn1d(x)))


class OptimizedModule(nn.Module):
    """Stands in for torch.compile's wrapper (PyTorch 2.x), which stores the model as `_orig_mod`."""

    def __init__(self, mod):
        super().__init__()
        self._orig_mod = mod


class LightningLike(nn.Module):
    def __init__(self, mod):
        super().__init__()
        self.model = mod


def trained_tiny(steps=3, seed=0):
    torch.manual_seed(seed)
    m = TinyNet()
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    m.train()
    for _ in range(steps):
        x = torch.randn(6, 3, 8, 8)
        loss = m(x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return m, opt


def js_number(v):
    """JSON has no NaN/inf: write them as the strings JavaScript's Number() parses."""
    v = float(v)
    if v != v:
        return 'NaN'
    if v in (float('inf'), float('-inf')):
        return 'Infinity' if v > 0 else '-Infinity'
    return v


def tensor_stats(t):
    d = t.detach().to(torch.float64)
    return {
        'shape': list(t.shape),
        'dtype': str(t.dtype).replace('torch.', ''),
        'sum': js_number(d.sum()),
        'sumsq': js_number((d * d).sum()),
    }


def walk(obj, path, out, seen):
    if isinstance(obj, torch.Tensor):
        out[path] = tensor_stats(obj)
        return
    if id(obj) in seen:
        return
    if isinstance(obj, dict):
        seen.add(id(obj))
        for k, v in obj.items():
            walk(v, f'{path}.{k}' if path else str(k), out, seen)
    elif isinstance(obj, (list, tuple)):
        seen.add(id(obj))
        for i, v in enumerate(obj):
            walk(v, f'{path}.{i}' if path else str(i), out, seen)


def metadata_of(obj):
    md = getattr(obj, '_metadata', None)
    return None if md is None else {k: dict(v) for k, v in md.items()}


manifest = {}


def record(name, obj, fmt, state_dicts=None, note=''):
    tensors = {}
    walk(obj, '', tensors, set())
    sds = []
    for p in state_dicts or []:
        sd = obj
        for part in [x for x in p.split('.') if x]:
            sd = sd[part]
        sds.append({'path': p, 'keys': list(sd.keys()), 'metadata': metadata_of(sd)})
    manifest[name] = {'format': fmt, 'tensors': tensors, 'stateDicts': sds, 'note': note}


def save(name, obj, state_dicts=('',), legacy=False, note=''):
    torch.save(obj, os.path.join(OUT, name), _use_new_zipfile_serialization=not legacy)
    record(name, obj, 'torch-legacy' if legacy else 'torch-zip', list(state_dicts), note)


# ---- safetensors, written by hand (the format is an 8-byte header length, JSON header, raw data) ----
ST_CODES = {torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float32: 'F32', torch.float64: 'F64', torch.int8: 'I8',
            torch.uint8: 'U8', torch.int16: 'I16', torch.int32: 'I32', torch.int64: 'I64', torch.bool: 'BOOL'}


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for k, t in tensors.items():
        b = tensor_bytes(t)
        header[k] = {'dtype': ST_CODES[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---- a big-endian copy of a torch zip (PyTorch 2.x reads `byteorder`; 1.13 cannot write it) ----
ELEM = {'FloatStorage': 4, 'DoubleStorage': 8, 'HalfStorage': 2, 'BFloat16Storage': 2, 'LongStorage': 8, 'IntStorage': 4,
        'ShortStorage': 2, 'CharStorage': 1, 'ByteStorage': 1, 'BoolStorage': 1}


def storage_types(pkl):
    found = {}

    class U(pickle.Unpickler):
        def find_class(self, mod, name):
            if 'Storage' in name:
                return name
            if name.startswith('_rebuild'):
                return lambda *a: None
            return super().find_class(mod, name)

        def persistent_load(self, pid):
            found[pid[2]] = pid[1]
            return None

    U(io.BytesIO(pkl)).load()
    return found


def make_big_endian(src, dst):
    zin = zipfile.ZipFile(src)
    names = zin.namelist()
    folder = names[0].split('/')[0]
    types = storage_types(zin.read(f'{folder}/data.pkl'))
    with zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as zout:
        for n in names:
            data = zin.read(n)
            if '/data/' in n:
                size = ELEM[types[n.rsplit('/', 1)[1]]]
                if size > 1:
                    a = bytearray(data)
                    for i in range(0, len(a), size):
                        a[i:i + size] = a[i:i + size][::-1]
                    data = bytes(a)
            zout.writestr(n, data)
        zout.writestr(f'{folder}/byteorder', 'big')


def make_legacy_storage_views(path):
    """A legacy stream whose tensors use storage *views* (view_metadata), as PyTorch < 1.0 wrote them.
    torch 1.13 no longer writes these but still reads them; we write the stream by hand."""

    class View:
        def __init__(self, key, offset, size):
            self.meta = (key, offset, size)

    class T:
        def __init__(self, view, size, stride):
            self.args = (view, 0, size, stride, False, collections.OrderedDict())

        def __reduce__(self):
            return (torch._utils._rebuild_tensor_v2, self.args)

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, View):
                return ('storage', torch.FloatStorage, '0', 'cpu', 12, obj.meta)
            return None

    obj = collections.OrderedDict([('head', T(View('v1', 2, 6), (2, 3), (3, 1))), ('tail', T(View('v2', 8, 4), (4,), (1,)))])
    buf = io.BytesIO()
    for x in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}):
        pickle.dump(x, buf, protocol=2)
    P(buf, protocol=2).dump(obj)
    pickle.dump(['0'], buf, protocol=2)
    buf.write(struct.pack('<q', 12))
    buf.write(torch.arange(12, dtype=torch.float32).numpy().tobytes())
    with open(path, 'wb') as f:
        f.write(buf.getvalue())


def make_version1(sd):
    """Version-1 BatchNorm state: no num_batches_tracked, _metadata versions 1 (PyTorch < 0.4.1)."""
    out = collections.OrderedDict((k, v) for k, v in sd.items() if not k.endswith('num_batches_tracked'))
    out._metadata = collections.OrderedDict((k, dict(v, version=1) if 'version' in v else dict(v)) for k, v in sd._metadata.items())
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    m, opt = trained_tiny()
    sd = m.state_dict()
    save('tiny_state_dict.pt', sd, note='TinyNet after 3 SGD steps; BatchNorm1d/2d, momentum None, affine=False')

    m2 = TinyNet()
    m2.load_state_dict(sd)
    for p in m2.bn.parameters():
        p.requires_grad_(False)
    opt2 = torch.optim.SGD([p for p in m2.parameters() if p.requires_grad], lr=0.1)
    m2.train()
    torch.manual_seed(7)
    x = torch.randn(6, 3, 8, 8)
    loss = m2(x).pow(2).mean()
    opt2.zero_grad()
    loss.backward()
    opt2.step()
    save('tiny_state_dict_next.pt', m2.state_dict(), note='one more step; bn weight/bias frozen (unchanged)')

    ckpt = {'epoch': 3, 'global_step': 12, 'best_acc': 0.75, 'arch': 'TinyNet', 'state_dict': sd,
            'optimizer': opt.state_dict(), 'args': {'lr': 0.1, 'momentum': 0.9, 'nesterov': False, 'milestones': [30, 60]}}
    save('tiny_training_checkpoint.pt', ckpt, state_dicts=['state_dict'], note='full training checkpoint with optimizer state')

    save('tiny_dataparallel.pt', nn.DataParallel(m).state_dict(), note='DataParallel: module. prefix')
    save('tiny_compiled.pt', OptimizedModule(m).state_dict(), note='torch.compile style: _orig_mod. prefix')
    save('tiny_dp_compiled.pt', nn.DataParallel(OptimizedModule(m)).state_dict(), note='nested module._orig_mod. prefix')
    lsd = LightningLike(m).state_dict()
    lightning = {'epoch': 2, 'global_step': 40, 'pytorch-lightning_version': '1.9.0', 'state_dict': lsd,
                 'optimizer_states': [opt.state_dict()], 'lr_schedulers': []}
    save('tiny_lightning.ckpt', lightning, state_dicts=['state_dict'], note='Lightning: model. prefix inside state_dict')

    import argparse
    ns_ckpt = {'epoch': 1, 'args': argparse.Namespace(lr=0.1, arch='TinyNet'), 'state_dict': sd}
    save('tiny_with_namespace.pt', ns_ckpt, state_dicts=['state_dict'], note='argparse.Namespace: refused unless placeholders')
    manifest['tiny_with_namespace.pt']['placeholders'] = ['argparse.Namespace']

    save('tiny_v1.pt', make_version1(sd), note='version-1 BatchNorm state (no counters)')
    save('tiny_legacy.pt', sd, legacy=True, note='legacy pre-1.6 stream')
    save('tiny_legacy_checkpoint.pt', ckpt, state_dicts=['state_dict'], legacy=True, note='legacy training checkpoint')

    torch.manual_seed(1)
    dtypes = collections.OrderedDict()
    dtypes['f16'] = torch.randn(5, 3).half()
    dtypes['bf16'] = torch.randn(4, 6).bfloat16()
    dtypes['f64'] = torch.randn(7).double()
    dtypes['i64'] = torch.arange(-5, 5, dtype=torch.int64) * 1000000007
    dtypes['i32'] = torch.arange(-6, 6, dtype=torch.int32).reshape(3, 4)
    dtypes['i16'] = torch.arange(-300, 300, 50, dtype=torch.int16)
    dtypes['i8'] = torch.arange(-128, 128, 37, dtype=torch.int8)
    dtypes['u8'] = torch.arange(0, 256, 51, dtype=torch.uint8)
    dtypes['bool'] = torch.tensor([True, False, True, True])
    dtypes['scalar'] = torch.tensor(3.5)
    dtypes['empty'] = torch.zeros(0, 4)
    save('dtypes.pt', dtypes, note='every dtype torch writes that the engine models')
    make_big_endian(os.path.join(OUT, 'dtypes.pt'), os.path.join(OUT, 'dtypes_bigendian.pt'))
    record('dtypes_bigendian.pt', dtypes, 'torch-zip', [''], note='byteorder big, storages byte-swapped')

    bn64 = TinyNet().double()
    bn64.train()
    bn64(torch.randn(4, 3, 8, 8, dtype=torch.float64))
    save('tiny_float64.pt', bn64.state_dict(), note='float64 model')
    half = collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in sd.items())
    half._metadata = sd._metadata
    save('tiny_float16.pt', half, note='float16 state dict')

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = {'base': base, 'same': base, 'rows': base[1:3], 'col': base[:, 2], 't': base.t(), 'strided': base[::2, 1::2],
             'flat_tail': base.view(-1)[5:17], 'other': torch.ones(3)}
    save('shared_views.pt', views, state_dicts=[], note='shared storages and views (offset, strides)')
    save('shared_views_legacy.pt', views, state_dicts=[], legacy=True, note='views in the legacy format')
    make_legacy_storage_views(os.path.join(OUT, 'legacy_storage_views.pt'))
    record('legacy_storage_views.pt', torch.load(os.path.join(OUT, 'legacy_storage_views.pt')), 'torch-legacy', [''],
           note='hand-written legacy stream with storage views (view_metadata), as read by torch.load')

    write_safetensors(os.path.join(OUT, 'tiny.safetensors'), sd, {'format': 'pt'})
    manifest['tiny.safetensors'] = {**manifest['tiny_state_dict.pt'], 'format': 'safetensors', 'note': 'hand-written safetensors'}
    manifest['tiny.safetensors']['stateDicts'] = [{'path': '', 'keys': list(sd.keys()), 'metadata': None}]
    keys = list(sd.keys())
    half_n = len(keys) // 2
    shard_dir = os.path.join(OUT, 'tiny_sharded')
    os.makedirs(shard_dir, exist_ok=True)
    shards = {'model-00001-of-00002.safetensors': keys[:half_n], 'model-00002-of-00002.safetensors': keys[half_n:]}
    weight_map = {}
    for fname, ks in shards.items():
        write_safetensors(os.path.join(shard_dir, fname), collections.OrderedDict((k, sd[k]) for k in ks), {'format': 'pt'})
        weight_map.update({k: fname for k in ks})
    total = sum(sd[k].numel() * sd[k].element_size() for k in keys)
    with open(os.path.join(shard_dir, 'model.safetensors.index.json'), 'w') as f:
        json.dump({'metadata': {'total_size': total}, 'weight_map': weight_map}, f, indent=2)
    manifest['tiny_sharded/model.safetensors.index.json'] = {**manifest['tiny.safetensors'], 'format': 'safetensors-sharded'}

    # Health problems the inspector must report.
    bad = TinyNet()
    bsd = bad.state_dict()
    bsd['bn.running_mean'][0] = float('nan')
    bsd['bn.running_var'][1] = -0.5
    bsd['bn.running_var'][2] = 1e-9
    bsd['bn1d.running_var'][3] = 1e6
    bsd['bn1d.running_mean'][4] = float('inf')
    bsd['bn1d.num_batches_tracked'].fill_(5)
    save('health_problems.pt', bsd, note='NaN/inf, negative and tiny running_var, fp16 overflow, untouched stats, counter 0')

    # A model the engine can build from a stack spec (load-coverage tests).
    torch.manual_seed(3)
    mlp = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3), nn.BatchNorm1d(3, momentum=None))
    mlp.train()
    for _ in range(2):
        mlp(torch.randn(5, 4))
    save('mlp_bn.pt', mlp.state_dict(), note='Sequential(Linear, BatchNorm1d, ReLU, Linear, BatchNorm1d) after 2 batches')
    save('mlp_bn_v1.pt', make_version1(mlp.state_dict()), note='the same, version-1 state')

    make_protocol_pickles()

    import torchvision
    torch.manual_seed(0)
    net = torchvision.models.shufflenet_v2_x0_5()
    net.train()
    with torch.no_grad():
        for _ in range(2):
            net(torch.randn(4, 3, 64, 64))
    save('shufflenet_v2_x0_5.pt', net.state_dict(), note='torchvision shufflenet_v2_x0_5, stats after 2 forward passes')

    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'files': manifest}, f, indent=1, sort_keys=True, allow_nan=False)
    total = 0
    for root, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(root, x)) for x in files)
    print(f'wrote {len(manifest)} corpus files to {OUT} ({total / 1e6:.2f} MB)')


def make_protocol_pickles():
    """The same plain object pickled with every protocol 0-5, and its expected JSON form."""
    obj = {'int': 7, 'neg': -300, 'big': 2 ** 70, 'negbig': -(2 ** 65), 'i32': 2 ** 31 - 1, 'float': 0.25, 'intfloat': 2.0,
           'str': 'h\u00e9llo \u2603', 'bytes': b'\x00\xffab', 'list': [1, [2, 3], (4, 5)], 'tuple': (1, 'a', None, True, False),
           'empty': ((), [], {}), 'set': {3}, 'frozen': frozenset([9]), 'od': collections.OrderedDict([('b', 1), ('a', 2)]),
           'nested': {'x': {'y': {'z': [0.5]}}}, 'shared': None}
    shared = [1, 2]
    obj['shared'] = (shared, shared)
    expected = {'int': 7, 'neg': -300, 'big': str(2 ** 70), 'negbig': str(-(2 ** 65)), 'i32': 2 ** 31 - 1, 'float': 0.25,
                'intfloat': 2.0, 'str': obj['str'], 'bytes': [0, 255, 97, 98], 'list': [1, [2, 3], [4, 5]],
                'tuple': [1, 'a', None, True, False], 'empty': [[], [], {}], 'set': [3], 'frozen': [9], 'od': {'b': 1, 'a': 2},
                'nested': {'x': {'y': {'z': [0.5]}}}, 'shared': [[1, 2], [1, 2]]}
    pdir = os.path.join(OUT, 'pickles')
    os.makedirs(pdir, exist_ok=True)
    for proto in range(6):
        with open(os.path.join(pdir, f'protocol{proto}.pkl'), 'wb') as f:
            pickle.dump(obj, f, protocol=proto)
    with open(os.path.join(pdir, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)


def bench_file(path, mb=100):
    """A ResNet-50-sized file (torchvision resnet50 state dict is ~100 MB in float32)."""
    import torchvision
    torch.manual_seed(0)
    net = torchvision.models.resnet50()
    sd = net.state_dict()
    torch.save(sd, path)
    print(json.dumps({'path': path, 'bytes': os.path.getsize(path), 'tensors': len(sd)}))


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--bench':
        bench_file(sys.argv[2])
    else:
        if len(sys.argv) > 1:
            OUT = sys.argv[1]
        main()
