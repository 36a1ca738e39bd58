/**
 * Cancellation that reaches the worker while it is busy: a job's flag lives in shared memory, set by
 * the main thread the moment `job.cancel` is requested, and read by the worker's synchronous loops
 * (a checkpoint being read tensor by tensor cannot receive messages until it finishes).
 */
const SLOTS = 256;

export function createCancelFlags(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
}

/** The main thread's side: gives each job a slot and raises its flag on cancel. */
export class CancelFlagWriter {
  private readonly flags: Int32Array;
  private readonly slots = new Map<string, number>();
  private next = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.flags = new Int32Array(buffer);
  }

  /** For an outgoing request: the slot of a new job (flag cleared), or after raising the flag of a cancelled one. */
  onRequest(method: string, payload: unknown): number | undefined {
    const jobId = payload && typeof payload === 'object' ? (payload as { jobId?: unknown }).jobId : undefined;
    if (typeof jobId !== 'string') return undefined;
    if (method === 'job.cancel') {
      const slot = this.slots.get(jobId);
      if (slot !== undefined) Atomics.store(this.flags, slot, 1);
      return undefined;
    }
    const slot = this.next;
    this.next = (this.next + 1) % SLOTS;
    for (const [id, s] of this.slots) if (s === slot) this.slots.delete(id);
    this.slots.set(jobId, slot);
    Atomics.store(this.flags, slot, 0);
    return slot;
  }
}

/** The worker's side: whether a job's flag is up. */
export class CancelFlagReader {
  private readonly flags: Int32Array | null;
  private readonly slots = new Map<string, number>();

  constructor(buffer: SharedArrayBuffer | undefined) {
    this.flags = buffer ? new Int32Array(buffer) : null;
  }

  register(payload: unknown, slot: unknown): void {
    const jobId = payload && typeof payload === 'object' ? (payload as { jobId?: unknown }).jobId : undefined;
    if (typeof jobId === 'string' && typeof slot === 'number' && Number.isInteger(slot) && slot >= 0 && slot < SLOTS) {
      this.slots.set(jobId, slot);
      if (this.slots.size > SLOTS) this.slots.delete(this.slots.keys().next().value!);
    }
  }

  isRaised(jobId: string): boolean {
    const slot = this.slots.get(jobId);
    return this.flags !== null && slot !== undefined && Atomics.load(this.flags, slot) === 1;
  }
}
