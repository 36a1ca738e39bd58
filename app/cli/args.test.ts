import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from './args.js';
import { parseRanksArgs } from './ranks.js';

const parse = (argv: string[], repeatable: string[] = []) => {
  const p = parseArgs(argv, ['json', 'overwrite'], ['out', 'lr'], repeatable);
  return {
    pos: p.positionals,
    flags: [...p.flags].sort(),
    opts: Object.fromEntries(p.options),
    rep: Object.fromEntries(p.repeated),
  };
};

describe('CLI arguments (util.parseArgs)', () => {
  it('takes positionals, flags and options in either spelling, in any order', () => {
    expect(parse(['a.pt', '--json', '--out', 'b.pt', 'c', '--lr=0.5'])).toMatchObject({
      pos: ['a.pt', 'c'],
      flags: ['json'],
      opts: { out: 'b.pt', lr: '0.5' },
    });
  });

  it('keeps a negative value with its option, and everything after -- positional', () => {
    expect(parse(['--lr', '-0.5']).opts).toEqual({ lr: '-0.5' });
    expect(parse(['--lr=-1e-3']).opts).toEqual({ lr: '-1e-3' });
    expect(parse(['x', '--', '--json', '-']).pos).toEqual(['x', '--json', '-']);
  });

  it('collects a repeatable option in order; a plain option keeps its last value', () => {
    const p = parse(['--out', 'a', '--out', 'b'], ['input']);
    expect(p.opts.out).toBe('b');
    expect(parse(['--input', 'x=a.npy', '--input=b.npy'], ['input']).rep.input).toEqual(['x=a.npy', 'b.npy']);
  });

  it('refuses unknown options, missing values and values on flags, in the CLI’s words', () => {
    const err = (argv: string[]) => {
      try {
        parse(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      return null;
    };
    expect(err(['--colour'])).toBe('unknown option --colour');
    expect(err(['--constructor'])).toBe('unknown option --constructor');
    expect(err(['--__proto__=1'])).toBe('unknown option --__proto__=1');
    expect(err(['-x'])).toBe('unknown option -x');
    expect(err(['--out'])).toBe('--out needs a value');
    expect(err(['--json=yes'])).toBe('unknown option --json=yes');
  });

  it('normscope ranks parses through it and keeps its checks', () => {
    const base = ['--world', '2', '--stack', 's.json', '--input', 'x.npy', '--steps', '3'];
    expect(parseRanksArgs([...base, '--lr', '-0.25', '--json'])).toMatchObject({ lr: -0.25, json: true, world: 2 });
    expect(parseRanksArgs([...base, '--bogus'])).toEqual({
      error: expect.stringMatching(/^unknown option --bogus\nusage/),
    });
    expect(parseRanksArgs([...base, 'extra'])).toEqual({
      error: expect.stringMatching(/^unexpected argument "extra"/),
    });
    expect(parseRanksArgs([...base, '--steps'])).toEqual({ error: expect.stringMatching(/^--steps needs a value/) });
    expect(parseRanksArgs([...base, '--lr', 'fast'])).toEqual({ error: '--lr must be a number (got "fast")' });
  });
});
