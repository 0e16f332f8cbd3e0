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
  /** Specs generated at once. */
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
