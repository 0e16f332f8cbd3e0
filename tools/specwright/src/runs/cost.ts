import type { TokenUsage } from '../types';
import { readPluginOptions } from '../workspace';

/**
 * What tokens cost: a price table per model in US dollars per 1M tokens (input, cached input, output). Defaults for
 * common models; the plugin option `prices` in nx.json adds or overrides entries (for other models, other
 * providers, negotiated prices, or a local server at 0). A model with no price has no cost — never a guessed one.
 */

export interface ModelPrice {
  /** USD per 1M prompt tokens that were not served from the cache. */
  input: number;
  /** USD per 1M cached prompt tokens; the input price when absent. */
  cachedInput?: number;
  /** USD per 1M completion tokens. */
  output: number;
}

export type PriceTable = Record<string, ModelPrice>;

/** List prices of the OpenAI API, USD per 1M tokens, as published when this table was written. */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  o3: { input: 2, cachedInput: 0.5, output: 8 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
};

export function priceTable(overrides: unknown): PriceTable {
  const table: PriceTable = { ...DEFAULT_PRICES };
  if (overrides && typeof overrides === 'object') {
    for (const [model, price] of Object.entries(overrides as Record<string, unknown>)) {
      const p = price as Partial<ModelPrice> | null;
      if (p && typeof p.input === 'number' && typeof p.output === 'number') table[model] = { input: p.input, output: p.output, ...(typeof p.cachedInput === 'number' ? { cachedInput: p.cachedInput } : {}) };
    }
  }
  return table;
}

/**
 * The workspace's table: defaults, then nx.json's `prices`, then `extra` (options handed to an executor). Read from
 * nx.json here because Nx executors receive only the options their target lists.
 */
export function workspacePrices(workspaceRoot: string, extra?: unknown): PriceTable {
  let configured: unknown;
  try {
    configured = readPluginOptions(workspaceRoot).prices;
  } catch {
    configured = undefined; // no nx.json: the defaults
  }
  return { ...priceTable(configured), ...priceTable(extra) };
}

/** The price of a model: an exact name, else the longest known name it starts with (`gpt-4.1-mini-2025-04-14`). */
export function priceOf(table: PriceTable, model: string): ModelPrice | undefined {
  if (table[model]) return table[model];
  const bare = model.includes('/') ? model.slice(model.lastIndexOf('/') + 1) : model;
  if (table[bare]) return table[bare];
  const prefix = Object.keys(table)
    .filter((name) => bare.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? table[prefix] : undefined;
}

/** USD for the usage, or `undefined` when the model has no price. */
export function costOf(table: PriceTable, model: string, usage: TokenUsage): number | undefined {
  const price = priceOf(table, model);
  if (!price) return undefined;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const fresh = usage.promptTokens - cached;
  return (fresh * price.input + cached * (price.cachedInput ?? price.input) + usage.completionTokens * price.output) / 1_000_000;
}

export function formatCost(cost: number | undefined): string {
  if (cost === undefined) return 'n/a';
  if (cost === 0) return '$0';
  return cost < 0.01 ? `$${cost.toFixed(4)}` : `$${cost.toFixed(2)}`;
}
