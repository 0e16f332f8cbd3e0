import type { ChatMessage } from '../prompt';
import type { ProviderName } from '../options';
import type { TokenUsage } from '../types';

export interface ModelRequest {
  specId: string;
  model: string;
  temperature: number;
  messages: ChatMessage[];
  timeoutMs: number;
  signal?: AbortSignal;
  /** The Structured Outputs schema of the answer; the generator's files schema when absent. */
  responseSchema?: { name: string; schema: Record<string, unknown> };
}

export interface ModelAnswer {
  /** The raw text of the answer; the generator parses and validates it whatever the server claims. */
  text: string;
  usage: TokenUsage;
  /** The model that answered, as the server names it. */
  model: string;
}

export interface Provider {
  readonly name: ProviderName;
  complete(request: ModelRequest): Promise<ModelAnswer>;
}

export const NO_USAGE: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };

export const POINT_AT_A_MODEL =
  'point Specwright at a model: export OPENAI_API_KEY=… (OpenAI), or OPENAI_BASE_URL=http://127.0.0.1:11434/v1 ' +
  '(Ollama; vLLM and LM Studio alike), then run again; add SPECWRIGHT_PROVIDER=record to store the answers for offline replay';
