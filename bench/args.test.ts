/**
 * The benchmarks' argument parsing (bench/args.ts and the suites' parse functions): strict flags with
 * errors naming the flag, repeatable --shape, and the value checks. The benchmarks themselves are not run.
 */
import { describe, expect, it } from 'vitest';
import { parseBatchNormArgs } from './batchnorm.bench.js';
import { parseModuleArgs } from './module.bench.js';
import { parseBenchArgs, positiveInt, positiveNumberList, UsageError } from './args.js';

describe('bench argument parsing', () => {
  it('reads every documented batchnorm flag, --shape repeatable, --name=value too', () => {
    expect(
      parseBatchNormArgs([
        '--dtype',
        'float64',
        '--threads',
        '2',
        '--seconds=0.05',
        '--shape',
        '2,3',
        '--shape',
        '4,5,6,7',
        '--no-torch',
      ]),
    ).toEqual({
      dtype: 'float64',
      threads: 2,
      minSeconds: 0.05,
      shapes: [
        [2, 3],
        [4, 5, 6, 7],
      ],
      noTorch: true,
    });
    expect(parseBatchNormArgs([])).toEqual({});
  });

  it('reads every documented module flag', () => {
    expect(
      parseModuleArgs([
        '--threads',
        '1',
        '--seconds',
        '0.5',
        '--rounds',
        '3',
        '--shape',
        '4,3,5,5',
        '--backends',
        'cpu,ts',
        '--no-torch',
        '--no-stack',
      ]),
    ).toEqual({
      threads: 1,
      minSeconds: 0.5,
      rounds: 3,
      shapes: [[4, 3, 5, 5]],
      backends: ['cpu', 'ts'],
      noTorch: true,
      noStack: true,
    });
  });

  it('refuses an unknown flag, naming it as typed', () => {
    expect(() => parseBatchNormArgs(['--threds', '2'])).toThrow(new UsageError('unknown option --threds'));
    expect(() => parseModuleArgs(['--no-torch', '--bogus=1'])).toThrow(new UsageError('unknown option --bogus=1'));
    expect(() => parseBatchNormArgs(['module'])).toThrow(new UsageError('unexpected argument module'));
  });

  it('refuses an option without its value', () => {
    expect(() => parseBatchNormArgs(['--threads'])).toThrow(new UsageError('--threads needs a value'));
    expect(() => parseModuleArgs(['--shape'])).toThrow(new UsageError('--shape needs a value'));
  });

  it('refuses --threads that is not a positive integer', () => {
    for (const bad of ['2.5', '0', '-1', 'x', '', '1e400']) {
      expect(() => parseBatchNormArgs(['--threads', bad]), bad).toThrow(/^--threads takes a positive integer, got/);
      expect(() => parseModuleArgs([`--threads=${bad}`]), bad).toThrow(/^--threads takes a positive integer/);
    }
    const a = parseBenchArgs(['--reps', '101'], { options: ['reps'] });
    expect(() => positiveInt(a, 'reps', 100)).toThrow(new UsageError("--reps takes an integer in 1..100, got '101'"));
  });

  it('refuses malformed shapes and ranks out of range, naming the flag and the value', () => {
    for (const bad of ['2', '2,,3', '2,0', '2,3.5', '2,x', '2,-3', '']) {
      expect(() => parseBatchNormArgs(['--shape', bad]), bad).toThrow(
        new UsageError(`--shape takes at least 2 comma-separated positive integers, got '${bad}'`),
      );
    }
    expect(() => parseModuleArgs(['--shape', '1,2,3,4,5,6'])).toThrow(
      new UsageError("--shape takes 2 to 5 comma-separated positive integers, got '1,2,3,4,5,6'"),
    );
  });

  it('checks --dtype, --seconds, --backends and number lists', () => {
    expect(() => parseBatchNormArgs(['--dtype', 'float16'])).toThrow(
      new UsageError("--dtype must be float32 or float64, got 'float16'"),
    );
    expect(() => parseBatchNormArgs(['--seconds', '0'])).toThrow(/^--seconds takes a positive number/);
    expect(() => parseModuleArgs(['--backends', 'cpu,gpu'])).toThrow(/^--backends takes .* got 'gpu'$/);
    const a = parseBenchArgs(['--sizes', '2,4,,8'], { options: ['sizes'] });
    expect(() => positiveNumberList(a, 'sizes')).toThrow(/^--sizes takes comma-separated positive numbers/);
    expect(positiveNumberList(parseBenchArgs(['--sizes', '0.5,100'], { options: ['sizes'] }), 'sizes')).toEqual([
      0.5, 100,
    ]);
  });
});
