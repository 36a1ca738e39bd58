/**
 * What the coordinator says about a step: each rank's outcome, and for a failed step one message that
 * names the rank to blame (and, through the collective's tag, the layer), whatever mix of crashes,
 * timeouts, collective errors and ranks' own exceptions the ranks reported.
 */
import type { BrokerFailure } from './collectiveBroker.js';
import type { FromRank, RankTelemetry, StepOutputs, WireState } from './protocol.js';

export interface RankStepReport {
  rank: number;
  pid: number | null;
  alive: boolean;
  ok: boolean;
  error: string | null;
  /** The rank this rank's error blames, when it names one. */
  blames: number | null;
  /** The rank failed on its own (not in a collective): its error is the cause. */
  ownError: boolean;
  count: number;
  telemetry: RankTelemetry | null;
  outputs?: StepOutputs;
  stateHash: string | null;
  state?: WireState;
}

export interface StepReport {
  ok: boolean;
  step: number;
  error: string | null;
  blamedRank: number | null;
  ranks: RankStepReport[];
  /** False when the group must be restarted before the next step. */
  usable: boolean;
  /** Hashes of every rank's state agree within each SyncBatchNorm group (buffers identical). */
  statesIdentical: boolean;
}

/**
 * A rank's outcome from its answer to the step: its step result, or the error the request ended with
 * (a crash, the step's deadline), or an answer of the wrong kind.
 */
export function rankStepReport(
  answer: FromRank | Error | null,
  base: { rank: number; pid: number | null; alive: boolean; count: number },
): RankStepReport {
  if (answer && !(answer instanceof Error) && answer.type === 'stepResult') {
    return {
      ...base,
      ok: answer.ok,
      error: answer.error?.message ?? null,
      blames: answer.error?.blamedRank ?? null,
      ownError: answer.error ? !answer.error.collective : false,
      telemetry: answer.telemetry,
      outputs: answer.outputs,
      stateHash: answer.stateHash,
      state: answer.state,
    };
  }
  const error = answer instanceof Error ? answer.message : `unexpected answer ${answer?.type}`;
  return { ...base, ok: false, error, blames: null, ownError: false, telemetry: null, stateHash: null };
}

/** How a local rank's process ended, as the coordinator saw it. */
export interface RankEnd {
  /** The coordinator killed it (cleanup or the step's deadline), not a crash. */
  killedByCoordinator: boolean;
  /** "exited with code 3", "was killed by signal SIGKILL"; null while it runs. */
  ended: string | null;
}

/**
 * One message for a failed step and the rank it blames: the broker's failure, else the report most
 * ranks blame, else any report naming a rank; a rank that died is named first, a rank that failed on
 * its own (outside a collective) is the cause, and ranks killed after the timeout are listed.
 */
export function explainFailure(
  ranks: RankStepReport[],
  brokerFailure: BrokerFailure | null,
  endOf: (rank: number) => RankEnd,
): { message: string; blamed: number | null } {
  const died = ranks.filter((r) => !r.alive && !endOf(r.rank).killedByCoordinator);
  const b = brokerFailure;
  const reported = ranks.filter((r) => r.alive && r.error).map((r) => r.error!);
  const votes = new Map<number, number>();
  for (const r of ranks) {
    const m = r.error?.match(/^(?:step aborted: )?rank (\d+)/);
    const who = r.blames ?? (m ? +m[1]! : null);
    if (who !== null) votes.set(who, (votes.get(who) ?? 0) + 1);
  }
  const mostBlamed = [...votes].sort((a, b2) => b2[1] - a[1])[0]?.[0] ?? null;
  const blamedReport = ranks.find((r) => r.alive && r.error && r.blames === mostBlamed && mostBlamed !== null)?.error;
  let message =
    b?.message ?? blamedReport ?? reported.find((e) => /rank \d+/.test(e)) ?? reported[0] ?? 'unknown failure';
  let blamed = b?.blamedRank ?? mostBlamed;
  if (died.length > 0) {
    blamed = died[0]!.rank;
    const d = died[0]!;
    const ended = endOf(d.rank).ended ?? 'ended';
    if (!message.includes(ended)) message = `rank ${d.rank} ${ended}; ${message}`;
  }
  // A rank that failed on its own (an exception, not a collective) is the cause: say what it raised.
  const own = ranks.find((r) => r.alive && r.ownError && r.error && (blamed === null || blamed === r.rank));
  if (own && !message.includes(own.error!)) {
    blamed = own.rank;
    message = `rank ${own.rank} failed outside a collective: ${own.error}; ${message}`;
  }
  const killed = ranks.filter((r) => !r.alive && endOf(r.rank).killedByCoordinator).map((r) => r.rank);
  if (killed.length) message += ` (killed after the timeout: rank ${killed.join(', rank ')})`;
  return { message, blamed };
}

/** Every group of `subgroups` (the whole world without them) has one state hash among its ranks here. */
export function statesIdentical(ranks: RankStepReport[], subgroups: number[][] | undefined, world: number): boolean {
  const groups = subgroups?.length ? subgroups : [Array.from({ length: world }, (_, i) => i)];
  const hash = new Map(ranks.map((r) => [r.rank, r.stateHash]));
  return groups.every((g) => new Set(g.map((r) => hash.get(r)).filter((h) => h)).size <= 1);
}
