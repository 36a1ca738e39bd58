#!/usr/bin/env python3
"""Small ONNX fixtures for engine/model's tests, exported by real torch.onnx.export (torch 1.13).

Writes engine/model/fixtures/<name>.onnx and <name>.json: the input, torch's outputs in eval and in
train mode, the running statistics after one train pass, and the parameter gradients of
sum(output * probe) in train mode. Run with /usr/bin/python3 (Debian's python3-torch, python3-onnx).
"""
import io, json, os
import torch
import torch.nn as nn
import torch.nn.functional as F
import onnx

OUT = os.path.join(os.path.dirname(__file__), '..', 'engine', 'model', 'fixtures')


class TinyResNet(nn.Module):
    """conv-bn-relu, a residual block, max pool, flatten, linear: the shape of a ResNet, small."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.layer1 = nn.Sequential(nn.Module())
        blk = self.layer1[0]
        blk.conv1 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        blk.bn1 = nn.BatchNorm2d(4, momentum=0.2)
        blk.conv2 = nn.Conv2d(4, 4, 1, bias=True)
        blk.bn2 = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        b = self.layer1[0]
        y = b.bn2(b.conv2(F.relu(b.bn1(b.conv1(x)))))
        x = F.relu(x + y)
        x = self.pool(x)
        return self.fc(torch.flatten(x, 1))


class TinyShuffle(nn.Module):
    """ShuffleNet/MobileNetV3 idioms: chunk (Split), channel shuffle through x.size() (Shape chains
    folded at load), depthwise conv, hardswish, squeeze-excite (GlobalAveragePool, Sigmoid, Mul),
    ReLU6 (Clip), mean over H and W (ReduceMean), dropout (ratio 0: deterministic)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.Hardswish())
        self.branch = nn.Sequential(
            nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), nn.BatchNorm2d(4), nn.ReLU6(),
        )
        self.se_fc1 = nn.Conv2d(8, 2, 1)
        self.se_fc2 = nn.Conv2d(2, 8, 1)
        # No bias before the BatchNorm1d: its gradient would be 0 up to rounding (noise on both sides).
        self.head = nn.Sequential(nn.Dropout(0.0), nn.Linear(8, 3, bias=False), nn.BatchNorm1d(3))

    def forward(self, x):
        x = self.stem(x)
        a, b = x.chunk(2, dim=1)
        x = torch.cat((a, self.branch(b)), dim=1)
        n, c, h, w = x.size()
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)
        s = F.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.se_fc2(F.relu(self.se_fc1(s))))
        x = x * s
        x = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
        return self.head(x.mean([2, 3]))


def export(name, model, shape, seed):
    torch.manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    x = torch.randn(*shape)
    path = os.path.join(OUT, name + '.onnx')
    model.train()
    state0 = {k: v.clone() for k, v in model.state_dict().items()}
    torch.onnx.export(model, x, path, training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False, opset_version=13 if name == 'tiny_resnet' else 17,
                      input_names=['input'], output_names=['output'])
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    # Tracing in train mode ran a forward pass, so the file holds the running statistics after it. The
    # references start from what the file holds, with counters at 0 (the engine's count starts there).
    from onnx import numpy_helper
    state = dict(state0)
    for init in proto.graph.initializer:
        if init.name in state:
            state[init.name] = torch.from_numpy(numpy_helper.to_array(init).copy())
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        out_eval = model(x)
    model.train()
    out_train = model(x)
    probe = torch.linspace(-1, 1, out_train.numel()).reshape(out_train.shape)
    (out_train * probe).sum().backward()
    ref = {
        'input': {'shape': list(x.shape), 'data': x.flatten().tolist()},
        'probe': probe.flatten().tolist(),
        'eval': {'shape': list(out_eval.shape), 'data': out_eval.flatten().tolist()},
        'train': {'shape': list(out_train.shape), 'data': out_train.detach().flatten().tolist()},
        'stateAfterTrain': {k: v.flatten().tolist() for k, v in model.state_dict().items()},
        'grads': {k: p.grad.flatten().tolist() for k, p in model.named_parameters()},
        'stateKeys': list(state0.keys()),
    }
    if name == 'tiny_resnet':
        ref['checkpoint'] = save_checkpoints(model, x)
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(ref, f)
    print('wrote', path)


def save_checkpoints(model, x):
    """A DataParallel-style training dict (weights moved, counters 7) and one that does not fit."""
    torch.manual_seed(5)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_var.mul_(1.5)
                m.num_batches_tracked.fill_(7)
    sd = {'module.' + k: v.clone() for k, v in model.state_dict().items()}
    torch.save({'epoch': 3, 'state_dict': sd, 'optimizer': {'lr': 0.1}}, os.path.join(OUT, 'tiny_resnet_ckpt.pt'))
    bad = dict(model.state_dict())
    bad['fc.weight'] = torch.zeros(5, 63)
    del bad['layer1.0.conv2.bias']
    torch.save(bad, os.path.join(OUT, 'tiny_resnet_bad.pt'))
    model.eval()
    with torch.no_grad():
        out = model(x)
    return {'eval': out.flatten().tolist(), 'runningVar': model.bn1.running_var.tolist()}


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    export('tiny_resnet', TinyResNet(), (2, 3, 8, 8), 0)
    export('tiny_shuffle', TinyShuffle(), (2, 3, 8, 8), 1)
