import type { ChatMessage } from '../prompt';
import type { ProviderName } from '../options';
import type { TokenUsage } from '../types';

export interface ModelRequest {
  specId: string;
  model: string;
  temperature: number;
  messages: ChatMessage[];
  /** The total deadline of this request: every try, retry and re-ask included. */
  timeoutMs: number;
  /** Sent as `max_tokens` (or `max_completion_tokens` where the server wants that). */
  maxOutputTokens?: number;
  signal?: AbortSignal;
  /** The Structured Outputs schema of the answer; the generator's files schema when absent. */
  responseSchema?: { name: string; schema: Record<string, unknown> };
}

/** Why the model stopped: `length` (cut off at the output limit) is a failed attempt the model can repair. */
export type FinishReason = 'stop' | 'length';

export interface ModelAnswer {
  /** The raw text of the answer; the generator parses and validates it whatever the server claims. */
  text: string;
  usage: TokenUsage;
  /** The model that answered, as the server names it. */
  model: string;
  /** Absent means `stop`. */
  finishReason?: FinishReason;
  /** Set by replay: the usage is what the recording says was spent once, not what this run spent. */
  replayed?: boolean;
  /** What the provider had to change for this server to accept the request (for the run's notes). */
  adaptations?: string[];
  /** How long the request waited for a free request slot before it went out (see request-limit.ts). */
  queuedMs?: number;
}

/** What became of the answers of one spec's conversation: the record provider keeps only what was used. */
export interface ConversationOutcome {
  specId: string;
  /** Whether the last answer was accepted (the spec's code was generated). */
  accepted: boolean;
  /** Per answer, in order: why it was rejected (undefined for the accepted one). */
  rejections: (string | undefined)[];
}

export interface Provider {
  readonly name: ProviderName;
  complete(request: ModelRequest): Promise<ModelAnswer>;
  /** Called once per spec after its last attempt. */
  settle?(outcome: ConversationOutcome): void;
}

export const NO_USAGE: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };

export function addUsage(total: TokenUsage, more: TokenUsage | undefined): TokenUsage {
  if (!more) return total;
  total.promptTokens += more.promptTokens;
  total.completionTokens += more.completionTokens;
  total.cachedTokens += more.cachedTokens;
  return total;
}

const USAGE = Symbol.for('specwright.usage');

/**
 * Tokens a failed request still cost (a refusal, a filtered answer, a body without choices): carried on the error,
 * so the summary counts every token spent, failed or not.
 */
export function withUsage<E extends Error>(error: E, usage: TokenUsage): E {
  if (usage.promptTokens + usage.completionTokens + usage.cachedTokens > 0) Object.defineProperty(error, USAGE, { value: { ...usage }, enumerable: false });
  return error;
}

export function usageOf(error: unknown): TokenUsage | undefined {
  return error && typeof error === 'object' ? ((error as Record<symbol, TokenUsage | undefined>)[USAGE] ?? undefined) : undefined;
}

export const POINT_AT_A_MODEL =
  'point Specwright at a model: export OPENAI_API_KEY=… (OpenAI), or OPENAI_BASE_URL=http://127.0.0.1:11434/v1 ' +
  '(Ollama; vLLM, LM Studio and llama.cpp alike), or AZURE_OPENAI_ENDPOINT=… (Azure), then run again; add SPECWRIGHT_PROVIDER=record to store the answers for offline replay';
