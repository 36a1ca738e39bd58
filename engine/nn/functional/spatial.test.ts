/**
 * auto_pad and window counts as the ONNX operator text defines them (Conv, MaxPool, AveragePool,
 * opsets 13–17), including the worked examples of the spec's node tests.
 */
import { describe, expect, it } from 'vitest';
import { resolveAutoPad, windowCount } from './spatial.js';

describe('resolveAutoPad', () => {
  it('SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning', () => {
    // maxpool_2d_same_upper / same_lower: 32×32, kernel 2, stride 1 → total pad 1 per axis.
    expect(resolveAutoPad('SAME_UPPER', [32, 32], [2, 2])).toEqual([0, 0, 1, 1]);
    expect(resolveAutoPad('SAME_LOWER', [32, 32], [2, 2])).toEqual([1, 1, 0, 0]);
  });
  it('with strides: output ceil(in / stride)', () => {
    // maxpool_2d_precomputed_same_upper: 5×5, kernel 3, stride 2 → out 3, total pad 2.
    expect(resolveAutoPad('SAME_UPPER', [5, 5], [3, 3], [2, 2])).toEqual([1, 1, 1, 1]);
    // conv_with_autopad_same (SAME_LOWER): 5×5, kernel 3, stride 2.
    expect(resolveAutoPad('SAME_LOWER', [5, 5], [3, 3], [2, 2])).toEqual([1, 1, 1, 1]);
    // 6 with kernel 3 stride 2: out 3, total pad (3-1)·2+3−6 = 1.
    expect(resolveAutoPad('SAME_UPPER', [6], [3], [2])).toEqual([0, 1]);
    expect(resolveAutoPad('SAME_LOWER', [6], [3], [2])).toEqual([1, 0]);
  });
  it('counts the dilated kernel and never pads negatively', () => {
    expect(resolveAutoPad('SAME_UPPER', [7], [3], [1], [2])).toEqual([2, 2]);
    expect(resolveAutoPad('SAME_UPPER', [7], [1], [4])).toEqual([0, 0]);
  });
  it('VALID is no padding; NOTSET keeps the explicit pads', () => {
    expect(resolveAutoPad('VALID', [9, 9], [3, 3], [2, 2])).toEqual([0, 0, 0, 0]);
    expect(resolveAutoPad('NOTSET', [9, 9], [3, 3], [2, 2], undefined, [1, 2, 3, 4])).toEqual([1, 2, 3, 4]);
    expect(resolveAutoPad('NOTSET', [9, 9], [3, 3])).toEqual([0, 0, 0, 0]);
  });
  it('refuses what it cannot resolve, naming the attribute', () => {
    expect(() => resolveAutoPad('SAME' as never, [4], [2])).toThrow("auto_pad: unknown value 'SAME'");
    expect(() => resolveAutoPad('SAME_UPPER', [4, 4], [2])).toThrow('kernel has 1 spatial dimensions, the input has 2');
    expect(() => resolveAutoPad('SAME_UPPER', [4], [2], [0])).toThrow('strides must be integers >= 1, got [0]');
    expect(() => resolveAutoPad('NOTSET', [4], [2], [1], [1], [1])).toThrow('pads must have 2 values');
    expect(() => resolveAutoPad('NOTSET', [4], [2], [1], [1], [-1, 0])).toThrow('pads must be integers >= 0');
  });
});

describe('windowCount', () => {
  it('floor and ceil mode', () => {
    expect(windowCount(5, 0, 0, 2, 2, 1, false)).toBe(2);
    expect(windowCount(5, 0, 0, 2, 2, 1, true)).toBe(3);
  });
  it('drops a ceil-mode window that would start in the end padding (PyTorch and ONNX)', () => {
    // 5 + pads 1/1, kernel 2, stride 2: ceil((7−2)/2)+1 = 4 windows starting at −1, 1, 3, 5; the last
    // starts past the input (in the end padding) and is dropped.
    expect(windowCount(5, 1, 1, 2, 2, 1, true)).toBe(3);
    // 6 + pads 1/1, kernel 3, stride 2: the 4th window starts at 5, inside the input, and stays.
    expect(windowCount(6, 1, 1, 3, 2, 1, true)).toBe(4);
  });
  it('dilation widens the window', () => {
    expect(windowCount(7, 0, 0, 2, 1, 2, false)).toBe(5);
    expect(windowCount(2, 0, 0, 2, 1, 2, false)).toBe(0);
  });
});
