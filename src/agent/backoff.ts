// Capped exponential backoff for restarting what died (bird6, a failed reconcile).
export class Backoff {
  private currentMs: number;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {
    this.currentMs = initialMs;
  }

  /** The delay to wait now; the next one doubles, up to the cap. */
  next(): number {
    const delay = this.currentMs;
    this.currentMs = Math.min(this.currentMs * 2, this.maxMs);
    return delay;
  }

  reset(): void {
    this.currentMs = this.initialMs;
  }
}
