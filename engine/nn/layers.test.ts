/**
 * Linear, Conv2d, ReLU/Flatten, the losses and SGD against live PyTorch (skipped with a message when
 * no python3 with torch is found): forward values, input and parameter gradients, and optimizer steps.
 */
import { describe, expect, it } from 'vitest';
import { Conv2d, Flatten, Linear, ReLU, SGD, Sequential, BatchNorm2d, crossEntropy, mseLoss, manualSeed, randn, tensor, Tensor } from '../index.js';
import { findTorchPython, runTorchPython } from '../../tools/torchPython.js';

const torch = findTorchPython();
if (!torch) console.log('layers.test: no python3 with torch found; live PyTorch comparisons skipped');

function close(a: number[], b: number[], tol = 1e-9): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!))));
}

const arr = (t: Tensor) => t.toArray();

describe.skipIf(!torch)('layers and SGD vs PyTorch', () => {
  it('a Conv2d → BatchNorm2d → ReLU → Flatten → Linear stack trains like PyTorch for 3 SGD steps', () => {
    manualSeed(11);
    const conv = new Conv2d(2, 3, 3, { stride: 2, padding: 1, dtype: 'float64' });
    const bn = new BatchNorm2d(3, { dtype: 'float64', momentum: 0.2 });
    const lin = new Linear(3 * 3 * 3, 4, { dtype: 'float64' });
    const net = new Sequential(conv, bn, new ReLU(), new Flatten(), lin);
    const x = randn([5, 2, 6, 6], { dtype: 'float64' });
    const target = tensor(new BigInt64Array([0n, 3n, 1n, 2n, 3n]), { shape: [5] });
    const init = { cw: arr(conv.weight), cb: arr(conv.bias!), lw: arr(lin.weight), lb: arr(lin.bias!) };
    const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      const loss = crossEntropy(net.forward(x), target);
      loss.backward();
      losses.push(loss.item());
      opt.step();
    }
    const py = `
import json, sys, torch
d = json.loads(sys.stdin.read())
torch.set_default_dtype(torch.float64)
conv = torch.nn.Conv2d(2, 3, 3, stride=2, padding=1); bn = torch.nn.BatchNorm2d(3, momentum=0.2); lin = torch.nn.Linear(27, 4)
with torch.no_grad():
    conv.weight.copy_(torch.tensor(d['cw']).view(3,2,3,3)); conv.bias.copy_(torch.tensor(d['cb']))
    lin.weight.copy_(torch.tensor(d['lw']).view(4,27)); lin.bias.copy_(torch.tensor(d['lb']))
net = torch.nn.Sequential(conv, bn, torch.nn.ReLU(), torch.nn.Flatten(), lin)
x = torch.tensor(d['x']).view(5,2,6,6); t = torch.tensor(d['t'])
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
losses = []
for _ in range(3):
    opt.zero_grad(); loss = torch.nn.functional.cross_entropy(net(x), t); loss.backward(); losses.append(loss.item()); opt.step()
print(json.dumps({'losses': losses, 'cw': conv.weight.flatten().tolist(), 'lw': lin.weight.flatten().tolist(), 'rv': bn.running_var.tolist(), 'bw': bn.weight.tolist()}))
`;
    const out = JSON.parse(runTorchPython(py, JSON.stringify({ ...init, x: arr(x), t: [0, 3, 1, 2, 3] })));
    close(losses, out.losses);
    close(arr(conv.weight), out.cw);
    close(arr(lin.weight), out.lw);
    close(arr(bn.runningVar!), out.rv);
    close(arr(bn.weight!), out.bw);
  });

  it('mseLoss gradients match PyTorch', () => {
    manualSeed(5);
    const a = randn([3, 4], { dtype: 'float64', requiresGrad: true });
    const b = randn([3, 4], { dtype: 'float64' });
    const loss = mseLoss(a, b);
    loss.backward();
    const out = JSON.parse(
      runTorchPython(
        `import json,sys,torch\nd=json.loads(sys.stdin.read())\na=torch.tensor(d['a'],dtype=torch.float64,requires_grad=True)\nl=torch.nn.functional.mse_loss(a,torch.tensor(d['b'],dtype=torch.float64))\nl.backward()\nprint(json.dumps([l.item(),a.grad.tolist()]))`,
        JSON.stringify({ a: arr(a), b: arr(b) }),
      ),
    );
    close([loss.item()], [out[0]]);
    close(arr(a.grad!), out[1]);
  });
});

describe('layer errors', () => {
  it('reports shape errors in PyTorch words', () => {
    expect(() => new Linear(4, 2).forward(randn([3, 5]))).toThrow('mat1 and mat2 shapes cannot be multiplied (3x5 and 4x2)');
    expect(() => new Conv2d(3, 2, 3).forward(randn([1, 2, 5, 5]))).toThrow(
      'Given groups=1, weight of size [2, 3, 3, 3], expected input[1, 2, 5, 5] to have 3 channels, but got 2 channels instead',
    );
    expect(() => crossEntropy(randn([2, 3]), tensor(new BigInt64Array([0n, 5n]), { shape: [2] }))).toThrow('Target 5 is out of bounds.');
  });
});
