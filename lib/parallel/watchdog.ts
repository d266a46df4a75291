/**
 * The time limit of a data-parallel step. A worker that hangs (a kernel that never returns,
 * a deadlock) would otherwise hang its group for ever: the other workers wait for it at the
 * all-reduce's barrier, and the main thread waits for them. A step may take `factor` times
 * the median of the steps before it, but never less than `minSeconds`; the first step, which
 * traces and compiles and has no median yet, gets `firstStepSeconds` (or `minSeconds` if longer).
 */

/** When a data-parallel step counts as stuck (see {@link StepWatchdog}). */
export interface StepTimeout {
  /** A step may take this many times the median of the previous steps. Default 10. */
  readonly factor?: number;
  /** The limit is never below this many seconds. Default 60. */
  readonly minSeconds?: number;
  /** The limit of the first step (tracing and compilation, no median yet), in seconds. Default 600. */
  readonly firstStepSeconds?: number;
}

export const DEFAULT_STEP_TIMEOUT: Required<StepTimeout> = { factor: 10, minSeconds: 60, firstStepSeconds: 600 };

/** Steps whose durations make the median (the most recent ones). */
const WINDOW = 51;

/**
 * The limit of the next step from the durations of the previous ones.
 * @example
 * const w = new StepWatchdog({ factor: 10, minSeconds: 1 });
 * w.record(200); w.record(100);
 * w.limitMs(); // max(1000, 10 * 150) = 1500
 */
export class StepWatchdog {
  private readonly opts: Required<StepTimeout>;
  private readonly recent: number[] = [];

  constructor(opts: StepTimeout = {}) {
    this.opts = { ...DEFAULT_STEP_TIMEOUT, ...opts };
    for (const [k, v] of Object.entries(this.opts))
      if (!(typeof v === 'number' && v > 0)) throw new Error(`parallel: stepTimeout.${k} must be a positive number, got ${String(v)}`);
  }

  /** Records a completed step's duration (milliseconds). */
  record(ms: number): void {
    this.recent.push(ms);
    if (this.recent.length > WINDOW) this.recent.shift();
  }

  /** The median duration of the recorded steps (milliseconds), or null before the first. */
  medianMs(): number | null {
    if (!this.recent.length) return null;
    const s = [...this.recent].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  }

  /** How long the next step may take (milliseconds). */
  limitMs(): number {
    const median = this.medianMs();
    if (median === null) return 1000 * Math.max(this.opts.firstStepSeconds, this.opts.minSeconds);
    return Math.max(1000 * this.opts.minSeconds, this.opts.factor * median);
  }
}
