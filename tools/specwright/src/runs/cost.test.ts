import { describe, expect, it } from 'vitest';
import { tempWorkspace } from '../../test/fixtures';
import { costOf, formatCost, priceOf, priceTable, workspacePrices } from './cost';

describe('cost', () => {
  it('prices fresh, cached and output tokens per 1M, with dated model names and overrides', () => {
    const table = priceTable({ 'local-llama': { input: 0, output: 0 }, 'gpt-4.1': { input: 3, output: 12 } });
    expect(costOf(table, 'gpt-4.1-mini-2025-04-14', { promptTokens: 1_000_000, cachedTokens: 400_000, completionTokens: 100_000 })).toBeCloseTo(0.6 * 0.4 + 0.4 * 0.1 + 0.1 * 1.6, 10);
    expect(priceOf(table, 'gpt-4.1')).toEqual({ input: 3, output: 12 });
    expect(costOf(table, 'local-llama', { promptTokens: 5000, cachedTokens: 0, completionTokens: 5000 })).toBe(0);
    expect(costOf(table, 'mystery-model', { promptTokens: 1, cachedTokens: 0, completionTokens: 1 })).toBeUndefined();
    expect(formatCost(undefined)).toBe('n/a');
    expect(formatCost(0.00114)).toBe('$0.0011');
    expect(formatCost(1.5)).toBe('$1.50');
  });

  it("reads the plugin option `prices` from nx.json, so executor runs price like the CLI", () => {
    const ws = tempWorkspace();
    try {
      ws.write('nx.json', JSON.stringify({ plugins: [{ plugin: '@specwright/nx', options: { prices: { 'my-model': { input: 1, cachedInput: 0.5, output: 2 } } } }] }));
      const table = workspacePrices(ws.root);
      expect(priceOf(table, 'my-model')).toEqual({ input: 1, cachedInput: 0.5, output: 2 });
      expect(priceOf(table, 'gpt-4o')).toBeDefined();
      expect(costOf(table, 'my-model', { promptTokens: 2_000_000, cachedTokens: 1_000_000, completionTokens: 1_000_000 })).toBe(1 + 0.5 + 2);
    } finally {
      ws.cleanup();
    }
  });
});
