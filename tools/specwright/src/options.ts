import { distance } from 'fastest-levenshtein';
import { problemsError, SpecwrightError } from './errors';

/** Options of the Specwright Nx plugin, set under `plugins` in nx.json; specs may override the model settings. */
export interface SpecwrightPluginOptions {
  /** `auto` uses `openai` when OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT is set, `replay` otherwise. */
  provider?: ProviderName | 'auto';
  model?: string;
  temperature?: number;
  /** The total deadline of one model request (every retry included), in ms. */
  timeoutMs?: number;
  /** The most tokens one answer may have: sent as `max_tokens` (or `max_completion_tokens`); specs may override it. */
  maxOutputTokens?: number;
  /** Sent as `seed` when set (servers that reject it are asked again without it). */
  seed?: number | null;
  /** Azure OpenAI: the resource endpoint (env AZURE_OPENAI_ENDPOINT wins), e.g. https://my-resource.openai.azure.com. */
  azureEndpoint?: string;
  /** Azure OpenAI: the deployment (env AZURE_OPENAI_DEPLOYMENT wins); empty means a deployment named like the model. */
  azureDeployment?: string;
  /** Azure OpenAI: the api-version (env OPENAI_API_VERSION wins). */
  azureApiVersion?: string;
  /** Retries of one request on 408/409/429/5xx and connection errors (the openai SDK's own retry). */
  maxRetries?: number;
  /** Model answers per spec per run: the first one plus repairs. */
  maxAttempts?: number;
  /** Model requests in flight at once (a spec waiting for the gates holds none). */
  concurrency?: number;
  /** Where recordings live, workspace-relative. */
  recordingsDir?: string;
  generateTargetName?: string;
  verifyTargetName?: string;
  reviewTargetName?: string;
  /** USD per 1M tokens by model name (`{ input, cachedInput?, output }`), added to the defaults in src/runs/cost.ts. */
  prices?: Record<string, { input: number; cachedInput?: number; output: number }>;
  /** Lowest mutation score (0–100) `specwright strength` accepts for a spec; 0 = report only. */
  strengthThreshold?: number;
  /** Per-project overrides of strengthThreshold, by Nx project name. */
  strengthThresholds?: Record<string, number>;
  /**
   * Refuse to run candidate code unless it is strongly isolated (network namespace + Node permission model); CI
   * should set it. The env var SPECWRIGHT_REQUIRE_STRONG_ISOLATION=1 does the same.
   */
  requireStrongIsolation?: boolean;
}

export type ProviderName = 'openai' | 'replay' | 'record';

export type NormalizedOptions = Required<SpecwrightPluginOptions>;

export const DEFAULT_OPTIONS: NormalizedOptions = {
  provider: 'auto',
  model: 'gpt-4.1-mini',
  temperature: 0,
  timeoutMs: 120_000,
  maxOutputTokens: 4096,
  seed: null,
  azureEndpoint: '',
  azureDeployment: '',
  azureApiVersion: '2024-10-21',
  maxRetries: 2,
  maxAttempts: 3,
  concurrency: 4,
  recordingsDir: 'specs/recordings',
  generateTargetName: 'generate-from-spec',
  verifyTargetName: 'verify-spec',
  reviewTargetName: 'review-spec',
  prices: {},
  strengthThreshold: 0,
  strengthThresholds: {},
  requireStrongIsolation: false,
};

export function normalizeOptions(options: SpecwrightPluginOptions | undefined): NormalizedOptions {
  const defined = Object.fromEntries(Object.entries(options ?? {}).filter(([, value]) => value !== undefined));
  return { ...DEFAULT_OPTIONS, ...defined } as NormalizedOptions;
}

/** The provider a run uses: the env var wins over nx.json, so CI and people can switch without editing files. */
export function resolveProvider(configured: NormalizedOptions['provider'], env: NodeJS.ProcessEnv = process.env, options?: Pick<NormalizedOptions, 'azureEndpoint'>): ProviderName {
  const fromEnv = env.SPECWRIGHT_PROVIDER;
  const choice = fromEnv && fromEnv !== '' ? fromEnv : configured;
  if (choice === 'openai' || choice === 'replay' || choice === 'record') return choice;
  return env.OPENAI_API_KEY || env.OPENAI_BASE_URL || env.AZURE_OPENAI_ENDPOINT || options?.azureEndpoint ? 'openai' : 'replay';
}

/** Where a set of plugin options came from, so an invalid value names the place to fix it. */
export interface OptionsOrigin {
  /** How the value is named in messages, e.g. `nx.json (plugins → @specwright/nx → options)`. */
  where: string;
  /** How a value is set there: `(name, value) => "set \"name\": value in nx.json"`. */
  setting: (name: string, value: string) => string;
  /** The file holding them, when there is one (nx.json), and where each option stands in it. */
  file?: string;
  positionOf?: (name: string) => { line: number; column: number } | undefined;
  /** Whether names that are not plugin options are mistakes (nx.json) or other options of the same object (executors). */
  rejectUnknown: boolean;
}

interface OptionRule {
  expected: string;
  /** A value that satisfies it, for the fix. */
  example: string;
  ok: (value: unknown) => boolean;
}

const isInteger = (min: number, max = Number.MAX_SAFE_INTEGER) => (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
const isNumber = (min: number, max: number) => (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
const isString = (value: unknown) => typeof value === 'string';
const isName = (value: unknown) => typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9:._-]*$/.test(value);
const isRecordOf = (ok: (value: unknown) => boolean) => (value: unknown) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every(ok);
const isPrice = (value: unknown) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const price = value as Record<string, unknown>;
  const amount = isNumber(0, Number.MAX_VALUE);
  return amount(price.input) && amount(price.output) && (price.cachedInput === undefined || amount(price.cachedInput)) && Object.keys(price).every((key) => ['input', 'output', 'cachedInput'].includes(key));
};

const TARGET_NAME: OptionRule = { expected: 'an Nx target name (letters, digits, `:`, `.`, `_`, `-`)', example: '"generate"', ok: isName };

/** One rule per plugin option: the single definition of a valid value, for nx.json and executor options alike. */
const OPTION_RULES: { [K in keyof SpecwrightPluginOptions]-?: OptionRule } = {
  provider: { expected: 'one of "auto", "openai", "replay", "record"', example: '"auto"', ok: (value) => value === 'auto' || value === 'openai' || value === 'replay' || value === 'record' },
  model: { expected: 'a model name (a non-empty string)', example: '"gpt-4.1-mini"', ok: (value) => typeof value === 'string' && value.trim() !== '' },
  temperature: { expected: 'a number from 0 to 2', example: '0', ok: isNumber(0, 2) },
  timeoutMs: { expected: 'a positive integer (milliseconds)', example: '120000', ok: isInteger(1) },
  maxOutputTokens: { expected: 'an integer of at least 16', example: '4096', ok: isInteger(16) },
  seed: { expected: 'an integer, or null for none', example: '42', ok: (value) => value === null || isInteger(Number.MIN_SAFE_INTEGER)(value) },
  azureEndpoint: { expected: 'a URL string', example: '"https://my-resource.openai.azure.com"', ok: isString },
  azureDeployment: { expected: 'a string', example: '"gpt-4o-mini"', ok: isString },
  azureApiVersion: { expected: 'a string', example: '"2024-10-21"', ok: isString },
  maxRetries: { expected: 'an integer of at least 0', example: '2', ok: isInteger(0) },
  maxAttempts: { expected: 'an integer of at least 1', example: '3', ok: isInteger(1) },
  concurrency: { expected: 'an integer of at least 1', example: '4', ok: isInteger(1) },
  recordingsDir: { expected: 'a workspace-relative folder', example: '"specs/recordings"', ok: (value) => typeof value === 'string' && value.trim() !== '' && !value.startsWith('/') },
  generateTargetName: TARGET_NAME,
  verifyTargetName: TARGET_NAME,
  reviewTargetName: TARGET_NAME,
  prices: { expected: 'an object of model name → { input, output, cachedInput? } (USD per 1M tokens, numbers ≥ 0)', example: '{ "my-model": { "input": 1, "output": 2 } }', ok: isRecordOf(isPrice) },
  strengthThreshold: { expected: 'a number from 0 to 100', example: '60', ok: isNumber(0, 100) },
  strengthThresholds: { expected: 'an object of project name → a number from 0 to 100', example: '{ "money": 80 }', ok: isRecordOf(isNumber(0, 100)) },
  requireStrongIsolation: { expected: 'true or false', example: 'true', ok: (value) => typeof value === 'boolean' },
};

export const PLUGIN_OPTION_NAMES = Object.keys(OPTION_RULES) as (keyof SpecwrightPluginOptions)[];

/**
 * The one way raw plugin options become options a run uses: every value checked against its rule (all problems at
 * once, each naming where the value came from and how to set it right), then the defaults filled in. `undefined`
 * stands for "not set".
 */
export function validatePluginOptions(raw: Record<string, unknown>, origin: OptionsOrigin): NormalizedOptions {
  const problems: SpecwrightError[] = [];
  const problem = (name: string, message: string, expected: string, fix: string) =>
    problems.push(new SpecwrightError(`${origin.where}: ${message}`, { ...(origin.file ? { file: origin.file, ...origin.positionOf?.(name) } : {}), expected, fix, code: 'OPTIONS_INVALID' }));
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const rule = OPTION_RULES[name as keyof SpecwrightPluginOptions];
    if (!rule) {
      if (!origin.rejectUnknown) continue;
      const near = closest(name, PLUGIN_OPTION_NAMES);
      problem(name, `unknown option "${name}"`, `one of ${PLUGIN_OPTION_NAMES.join(', ')}`, near ? `did you mean "${near}"? rename it, or remove it` : 'remove it');
    } else if (!rule.ok(value)) {
      problem(name, `option "${name}" is ${JSON.stringify(value)}`, rule.expected, `${origin.setting(name, rule.example)}, or remove it for the default (${JSON.stringify(DEFAULT_OPTIONS[name as keyof NormalizedOptions])})`);
    }
  }
  if (problems.length > 0) throw problemsError(problems);
  return normalizeOptions(raw as SpecwrightPluginOptions);
}

function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d <= Math.max(2, Math.floor(candidate.length / 4)) && (!best || d < best.distance)) best = { candidate, distance: d };
  }
  return best?.candidate;
}
