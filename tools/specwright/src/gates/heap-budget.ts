/**
 * A bound on the garbage a long-lived process lets pile up between V8's own major collections.
 *
 * Every type check builds a new TypeScript program and checker (a candidate's files change the program); the old
 * checker, with every type it resolved for the libraries the spec imports (vitest, @types/node …), becomes garbage.
 * V8 sizes its next major collection on the process's heap limit, which is a quarter of the machine's memory by
 * default, so a run of 1,000 type checks lets the heap grow to three or four times what is live before anything is
 * collected (a 613 MB Nx batch process holding ~120 MB of live data). The processes that run the gates are Nx's
 * batch process and the CLI, started with whatever NODE_OPTIONS the user has: neither can pass itself
 * `--max-old-space-size`. So the caller measures the heap after each unit of work and, past a budget above what
 * was live after the last collection, collects right away: the heap stays within the budget of its live size,
 * whatever the size of the workspace, at the price of one full collection per budget's worth of garbage.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface HeapBudgetOptions {
  /** Garbage allowed above what was live after the last collection, at least. Default 64 MB. */
  minSlackBytes?: number;
  /** ... or this share of what was live, when that is more (a bigger live set makes more garbage per unit). */
  slackRatio?: number;
  /** The heap in use (injectable for tests). */
  usedHeap?: () => number;
  /** A full collection (injectable for tests); undefined when the runtime offers none. */
  collect?: (() => void) | undefined;
}

export interface HeapBudgetStats {
  collections: number;
  collectMs: number;
  /** The heap in use after the last collection (or at the start). */
  liveBytes: number;
}

const MB = 1024 * 1024;

export class HeapBudget {
  private readonly minSlack: number;
  private readonly slackRatio: number;
  private readonly usedHeap: () => number;
  private readonly collect: (() => void) | undefined;
  private live: number;
  private collections = 0;
  private collectMs = 0;

  constructor(options: HeapBudgetOptions = {}) {
    this.minSlack = options.minSlackBytes ?? 64 * MB;
    this.slackRatio = options.slackRatio ?? 0.5;
    this.usedHeap = options.usedHeap ?? (() => getHeapStatistics().used_heap_size);
    this.collect = 'collect' in options ? options.collect : fullCollection();
    this.live = this.usedHeap();
  }

  /** The heap in use above which `settle` collects. */
  get limitBytes(): number {
    return this.live + Math.max(this.minSlack, this.live * this.slackRatio);
  }

  /** Call after a unit of work (a type check): collects when the garbage has grown past the budget. */
  settle(): boolean {
    if (!this.collect) return false;
    const used = this.usedHeap();
    if (used <= this.limitBytes) {
      // V8 collected on its own meanwhile: what is live now may be less than the last figure
      if (used < this.live) this.live = used;
      return false;
    }
    const started = performance.now();
    this.collect();
    this.collectMs += performance.now() - started;
    this.collections++;
    this.live = this.usedHeap();
    return true;
  }

  stats(): HeapBudgetStats {
    return { collections: this.collections, collectMs: Math.round(this.collectMs), liveBytes: this.live };
  }
}

let exposed: (() => void) | undefined | null = null;

/**
 * V8's full collection as a function. `--expose-gc` is read when a context is created, so a fresh vm context made
 * while it is set carries `gc` (the process's own global stays as it was); the flag is turned off again at once.
 */
export function fullCollection(): (() => void) | undefined {
  if (exposed !== null) return exposed;
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return (exposed = existing as () => void);
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    exposed = typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    exposed = undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return exposed;
}
