import OpenAI from 'openai';
import { SpecwrightError } from '../errors';
import { ANSWER_SCHEMA } from '../prompt';
import type { ModelAnswer, ModelRequest, Provider } from './provider';

export interface OpenAIProviderOptions {
  apiKey?: string;
  baseURL?: string;
  maxRetries: number;
  timeoutMs: number;
}

type ResponseFormat = 'json_schema' | 'json_object';

/**
 * Any OpenAI-compatible chat completions server through the official SDK (which retries 408/409/429/5xx and
 * connection errors itself, honouring retry-after). Answers are asked for as Structured Outputs; a server that
 * rejects `json_schema` is asked again in plain JSON mode, and remembered for the rest of the run.
 */
export class OpenAIProvider implements Provider {
  readonly name = 'openai' as const;
  private readonly client: OpenAI;
  private format: ResponseFormat = 'json_schema';
  private readonly baseURL: string;

  constructor(options: OpenAIProviderOptions) {
    this.baseURL = options.baseURL ?? 'https://api.openai.com/v1';
    this.client = new OpenAI({
      // Local servers (Ollama, vLLM, LM Studio) take any key; the SDK insists on one.
      apiKey: options.apiKey || 'specwright-no-key',
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      maxRetries: options.maxRetries,
      timeout: options.timeoutMs,
    });
  }

  async complete(request: ModelRequest): Promise<ModelAnswer> {
    try {
      return await this.send(request, this.format);
    } catch (error) {
      if (this.format === 'json_schema' && error instanceof OpenAI.BadRequestError && mentionsResponseFormat(error)) {
        this.format = 'json_object';
        return await this.send(request, this.format).catch((retryError: unknown) => {
          throw this.explain(retryError, request);
        });
      }
      throw this.explain(error, request);
    }
  }

  private async send(request: ModelRequest, format: ResponseFormat): Promise<ModelAnswer> {
    const completion = await this.client.chat.completions.create(
      {
        model: request.model,
        temperature: request.temperature,
        messages: request.messages,
        response_format:
          format === 'json_schema'
            ? { type: 'json_schema', json_schema: { ...(request.responseSchema ?? { name: 'specwright_files', schema: ANSWER_SCHEMA as unknown as Record<string, unknown> }), strict: true } }
            : { type: 'json_object' },
      },
      { timeout: request.timeoutMs, ...(request.signal ? { signal: request.signal } : {}) },
    );
    const choice = completion.choices?.[0];
    const message = choice?.message;
    if (message?.refusal) {
      throw new SpecwrightError(`the model refused spec "${request.specId}": ${message.refusal}`, {
        expected: 'the files of the spec',
        fix: 'reword the spec\'s description or constraints, or use another model (spec `model.name`)',
        code: 'MODEL_REFUSED',
      });
    }
    if (choice?.finish_reason === 'length') {
      throw new SpecwrightError(`the answer for spec "${request.specId}" was cut off at the model's length limit`, {
        expected: 'a complete answer',
        fix: 'split the spec into smaller specs, or use a model with a larger output limit',
        code: 'MODEL_TRUNCATED',
      });
    }
    return {
      text: message?.content ?? '',
      model: completion.model ?? request.model,
      usage: {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
        cachedTokens: completion.usage?.prompt_tokens_details?.cached_tokens ?? 0,
      },
    };
  }

  /** Turns SDK errors into messages that say what happened at which server and what to do. */
  private explain(error: unknown, request: ModelRequest): Error {
    if (error instanceof SpecwrightError) return error;
    const where = `${this.baseURL} (model ${request.model})`;
    const details = (message: string, fix: string, code: string) => new SpecwrightError(`spec "${request.specId}": ${message}`, { fix, code, cause: error });
    if (error instanceof OpenAI.AuthenticationError || error instanceof OpenAI.PermissionDeniedError) {
      return details(`${where} refused the API key (${error.status})`, 'check OPENAI_API_KEY (and OPENAI_BASE_URL for non-OpenAI servers)', 'MODEL_AUTH');
    }
    if (error instanceof OpenAI.RateLimitError) {
      return details(`${where} kept answering 429 (rate limited) after the SDK's retries`, 'wait and run again, lower --concurrency, or raise maxRetries in nx.json', 'MODEL_RATE_LIMIT');
    }
    if (error instanceof OpenAI.NotFoundError) {
      return details(`${where} answered 404: ${error.message}`, 'check the model name (nx.json plugin options or the spec\'s model.name) and OPENAI_BASE_URL', 'MODEL_NOT_FOUND');
    }
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return details(`${where} did not answer within ${request.timeoutMs} ms`, 'raise timeoutMs in nx.json (or the spec\'s model.timeoutMs), or check the server', 'MODEL_TIMEOUT');
    }
    if (error instanceof OpenAI.APIUserAbortError) {
      return details('the request was cancelled', 'run again', 'MODEL_ABORTED');
    }
    if (error instanceof OpenAI.APIConnectionError) {
      return details(`cannot reach ${where}: ${rootCause(error)}`, 'check OPENAI_BASE_URL and that the server is running (TLS errors: check the certificate or NODE_EXTRA_CA_CERTS)', 'MODEL_UNREACHABLE');
    }
    if (error instanceof OpenAI.APIError) {
      return details(`${where} answered ${error.status ?? 'an error'}: ${error.message}`, 'check the server\'s logs; run again once it is healthy', 'MODEL_ERROR');
    }
    return details(`request to ${where} failed: ${(error as Error)?.message ?? String(error)}`, 'run again; report a bug if it persists', 'MODEL_ERROR');
  }
}

/** fetch wraps the socket error (ECONNREFUSED, CERT_HAS_EXPIRED, …) a few causes deep; that code is what helps. */
function rootCause(error: unknown): string {
  let current = error as { cause?: unknown; code?: string; message?: string } | undefined;
  let best = current?.message ?? String(error);
  for (let depth = 0; current && depth < 5; depth++) {
    if (current.code) return `${current.code}${current.message && !current.message.includes(current.code) ? ` (${current.message})` : ''}`;
    if (current.message) best = current.message;
    current = current.cause as typeof current;
  }
  return best;
}

function mentionsResponseFormat(error: InstanceType<typeof OpenAI.BadRequestError>): boolean {
  return /response_format|json_schema|structured/i.test(`${error.message} ${JSON.stringify(error.error ?? {})}`);
}
