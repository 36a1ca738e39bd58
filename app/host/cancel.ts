/** Cancellation flags for long jobs, keyed by the job id the window chose. */
export class CancelRegistry {
  private readonly flags = new Map<string, number>();

  cancel(jobId: string): boolean {
    const had = this.flags.has(jobId);
    this.flags.set(jobId, Date.now());
    // Old flags expire so the map stays small over a long session.
    if (this.flags.size > 256) {
      const oldest = [...this.flags.entries()].sort((a, b) => a[1] - b[1])[0]!;
      this.flags.delete(oldest[0]);
    }
    return !had;
  }

  isCancelled(jobId: string): boolean {
    return this.flags.has(jobId);
  }
}
