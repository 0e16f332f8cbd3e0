import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { fullCollection, HeapBudget } from './heap-budget';

const MB = 1024 * 1024;

describe('HeapBudget', () => {
  it('collects only once the heap has grown past the budget above what was live, then re-measures what is live', () => {
    let used = 200 * MB;
    const collected: number[] = [];
    // a collection frees everything but 100 MB
    const budget = new HeapBudget({ usedHeap: () => used, collect: () => void collected.push(used, (used = 100 * MB)) });
    expect(budget.limitBytes).toBe(300 * MB); // half of 200 MB live is more than the 64 MB minimum
    used = 290 * MB;
    expect(budget.settle()).toBe(false);
    used = 301 * MB;
    expect(budget.settle()).toBe(true);
    expect(collected).toEqual([301 * MB, 100 * MB]);
    expect(budget.stats()).toMatchObject({ collections: 1, liveBytes: 100 * MB });
    expect(budget.limitBytes).toBe(164 * MB); // the 64 MB minimum, now that half of what is live is less
  });

  it('follows the live set down when V8 collected on its own', () => {
    let used = 200 * MB;
    const budget = new HeapBudget({ usedHeap: () => used, collect: () => undefined, minSlackBytes: 10 * MB, slackRatio: 0 });
    used = 150 * MB;
    expect(budget.settle()).toBe(false);
    expect(budget.limitBytes).toBe(160 * MB);
  });

  it('does nothing where the runtime offers no full collection', () => {
    let used = 10 * MB;
    const budget = new HeapBudget({ usedHeap: () => used, collect: undefined });
    used = 10_000 * MB;
    expect(budget.settle()).toBe(false);
    expect(budget.stats().collections).toBe(0);
  });

  it("gets V8's full collection without exposing gc on the process's own global", () => {
    const collect = fullCollection();
    expect(typeof collect).toBe('function');
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, index) => ({ index, text: `item ${index}` }));
    const before = getHeapStatistics().used_heap_size;
    expect(garbage.length).toBe(200_000);
    garbage = undefined;
    collect!();
    expect(garbage).toBeUndefined();
    // ~200,000 objects with their strings are at least 10 MB; a full collection frees them
    expect(getHeapStatistics().used_heap_size).toBeLessThan(before - 10 * MB);
  });
});
