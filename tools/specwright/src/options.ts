/** Options of the Specwright Nx plugin, set under `plugins` in nx.json; specs may override the model settings. */
export interface SpecwrightPluginOptions {
  /** `auto` uses `openai` when OPENAI_API_KEY or OPENAI_BASE_URL is set, `replay` otherwise. */
  provider?: ProviderName | 'auto';
  model?: string;
  temperature?: number;
  /** Per model request. */
  timeoutMs?: number;
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
  maxRetries: 2,
  maxAttempts: 3,
  concurrency: 4,
  recordingsDir: 'specs/recordings',
  generateTargetName: 'generate-from-spec',
  verifyTargetName: 'verify-spec',
  reviewTargetName: 'review-spec',
  requireStrongIsolation: false,
};

export function normalizeOptions(options: SpecwrightPluginOptions | undefined): NormalizedOptions {
  const defined = Object.fromEntries(Object.entries(options ?? {}).filter(([, value]) => value !== undefined));
  return { ...DEFAULT_OPTIONS, ...defined } as NormalizedOptions;
}

/** The provider a run uses: the env var wins over nx.json, so CI and people can switch without editing files. */
export function resolveProvider(configured: NormalizedOptions['provider'], env: NodeJS.ProcessEnv = process.env): ProviderName {
  const fromEnv = env.SPECWRIGHT_PROVIDER;
  const choice = fromEnv && fromEnv !== '' ? fromEnv : configured;
  if (choice === 'openai' || choice === 'replay' || choice === 'record') return choice;
  return env.OPENAI_API_KEY || env.OPENAI_BASE_URL ? 'openai' : 'replay';
}
