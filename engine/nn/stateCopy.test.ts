import { describe, expect, it } from 'vitest';
import {
  BatchNorm1d,
  LazyBatchNorm1d,
  Linear,
  manualSeed,
  randn,
  RuntimeError,
  Sequential,
  type Module,
} from '../index.js';
import { StateCopy } from './stateCopy.js';

/** Every state-dict value, as plain numbers (int64 counters included). */
const values = (m: Module) => [...m.stateDict()].map(([k, t]) => [k, t.toArray()] as const);

function net(seed = 1) {
  manualSeed(seed);
  return new Sequential(new Linear(3, 4), new BatchNorm1d(4));
}

/** Changes every parameter and buffer: a train forward (running stats, counter) and new weights. */
function disturb(m: Module): void {
  m.train(true);
  m.forward(randn([5, 3]));
  for (const p of m.parameters()) p.fill_(7);
}

describe('StateCopy', () => {
  it('restore() puts parameters, running statistics and the counter back into the same tensors', () => {
    const m = net();
    const before = values(m);
    const tensors = [...m.parameters(), ...m.buffers()];
    const copy = StateCopy.of(m);
    disturb(m);
    expect(values(m)).not.toEqual(before);
    copy.restore();
    expect(values(m)).toEqual(before);
    expect([...m.parameters(), ...m.buffers()]).toEqual(tensors);
    expect([...m.parameters(), ...m.buffers()].every((t, i) => t === tensors[i])).toBe(true);
  });

  it('the copy does not follow the module, and can be restored twice', () => {
    const m = net();
    const copy = StateCopy.of(m);
    const before = values(m);
    disturb(m);
    copy.restore();
    disturb(m);
    copy.restore();
    expect(values(m)).toEqual(before);
  });

  it('its state dict has the module’s keys in order and its metadata (versions)', () => {
    const m = net();
    const sd = StateCopy.of(m).stateDict();
    expect([...sd.keys()]).toEqual([...m.stateDict().keys()]);
    expect(sd.get('1.num_batches_tracked')!.dtype).toBe('int64');
    expect(sd.metadata.get('1')).toEqual({ version: 2 });
    expect(sd.get('0.weight')).not.toBe(m.stateDict().get('0.weight'));
    expect(StateCopy.of(m, 'buffers').stateDict().has('0.weight')).toBe(false);
  });

  it('strict restoreInto is load_state_dict(strict=True): the counter comes back, a missing key raises', () => {
    const m = net();
    const copy = StateCopy.of(m);
    const before = values(m);
    disturb(m);
    copy.restoreInto(m, { strict: true });
    expect(values(m)).toEqual(before);
    const other = net(2);
    StateCopy.of(m).restoreInto(other, { strict: true });
    expect(values(other)).toEqual(before);
    const buffersOnly = StateCopy.of(m, 'buffers');
    expect(() => buffersOnly.restoreInto(net(), { strict: true })).toThrow(RuntimeError);
    expect(() => buffersOnly.restoreInto(net(), { strict: true })).toThrow(
      'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "0.weight", "0.bias", "1.weight", "1.bias". ',
    );
    const wider = new Sequential(new Linear(3, 5), new BatchNorm1d(5));
    expect(() => copy.restoreInto(wider, { strict: true })).toThrow(/size mismatch for 0\.weight/);
  });

  it('lenient restoreInto moves the buffers into a rebuilt module and leaves its parameters', () => {
    const m = net();
    disturb(m);
    const keep = StateCopy.of(m, 'buffers');
    const rebuilt = net();
    const fresh = rebuilt.stateDict().get('0.weight')!.toArray();
    keep.restoreInto(rebuilt, { strict: false });
    const bn = (x: Module) => x.stateDict();
    for (const k of ['1.running_mean', '1.running_var', '1.num_batches_tracked'])
      expect(bn(rebuilt).get(k)!.toArray()).toEqual(bn(m).get(k)!.toArray());
    expect(rebuilt.stateDict().get('0.weight')!.toArray()).toEqual(fresh);
  });

  it('lenient restoreInto skips a lazy layer materialized since the copy; strict refuses it', () => {
    manualSeed(4);
    const m = new Sequential(new Linear(3, 4), new LazyBatchNorm1d());
    const copy = StateCopy.of(m);
    const w0 = m.stateDict().get('0.weight')!.toArray();
    disturb(m); // materializes the BatchNorm (4 features) and changes the Linear
    const materialized = values(m).filter(([k]) => k.startsWith('1.'));
    copy.restoreInto(m, { strict: false });
    expect(m.stateDict().get('0.weight')!.toArray()).toEqual(w0);
    expect(values(m).filter(([k]) => k.startsWith('1.') && k !== '1.num_batches_tracked')).toEqual(
      materialized.filter(([k]) => k !== '1.num_batches_tracked'),
    );
    expect(m.stateDict().get('1.num_batches_tracked')!.item()).toBe(0); // a counter has values from the start
  });

  it('ofTensors copies only the given tensors', () => {
    manualSeed(1);
    const bn = new BatchNorm1d(4);
    const m = new Sequential(new Linear(3, 4), bn);
    const mean = bn.runningMean!.toArray();
    const copy = StateCopy.ofTensors([bn.runningMean!]);
    expect(copy.size).toBe(1);
    disturb(m);
    const var1 = bn.runningVar!.toArray();
    copy.restore();
    expect(bn.runningMean!.toArray()).toEqual(mean);
    expect(bn.runningVar!.toArray()).toEqual(var1);
    expect(bn.weight!.toArray()).toEqual([7, 7, 7, 7]);
  });
});
