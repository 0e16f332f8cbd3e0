import OpenAI, { APIError } from 'openai';
import { SpecwrightError } from '../errors';
import type { TokenUsage } from '../types';
import { addUsage, NO_USAGE, withUsage, type ModelAnswer, type ModelRequest, type Provider } from './provider';
import { blamedParameter, buildBody, describeRung, TOP_RUNGS, type ParameterName, type Rungs, type ShapeInput } from './request-shape';
import { contextOverflow, htmlTitle, isContentFilter, quote } from './server-errors';

export interface OpenAIProviderOptions {
  /**
   * Makes the `OpenAI` or `AzureOpenAI` client around the given fetch, through which this provider counts the tries
   * of each request and keeps the body of every error answer (the SDK drops bodies without an `error` key, like
   * vLLM's `{"object": "error", "message": …}`).
   */
  client: (fetch: typeof globalThis.fetch) => OpenAI;
  /** How the server is named in messages: the base URL, or the Azure endpoint and deployment. */
  where: string;
  seed?: number;
}

/** What the fetch of one request saw, across the SDK's retries. */
interface Exchange {
  tries: number;
  errorBody?: string;
}

/** The header that ties the SDK's fetches to the request they belong to (harmless to servers, handy in their logs). */
const REQUEST_HEADER = 'x-specwright-request';

/** Something a server refused and what was sent instead, for the message when the re-ask failed too. */
interface Rejection {
  parameter: ParameterName;
  sent: string;
  instead: string;
  message: string;
}

/**
 * Any OpenAI-compatible chat completions server (OpenAI, Azure OpenAI, vLLM, Ollama, LM Studio, llama.cpp) through the
 * official SDK, which retries 408/409/429/5xx and connection errors itself, honouring retry-after.
 *
 * Per request: one total deadline (an AbortSignal, so a server that trickles its answer a few bytes at a time is cut
 * off too, and a timeout is never retried by the SDK); a 400 that names a parameter is asked again without it (see
 * request-shape.ts). The run learns a change (per model) only once a request made with it succeeded, and every request
 * starts from a snapshot of what the run knows, so concurrent requests never see half-made decisions.
 */
export class OpenAIProvider implements Provider {
  readonly name = 'openai' as const;
  /** Per model: specs of one run may name different models (`model.name`), and servers refuse per model. */
  private readonly learned = new Map<string, Rungs>();
  private readonly client: OpenAI;
  private readonly exchanges = new Map<string, Exchange>();
  private nextRequest = 0;

  constructor(private readonly options: OpenAIProviderOptions) {
    this.client = options.client(async (url, init) => {
      const exchange = this.exchanges.get(new Headers(init?.headers).get(REQUEST_HEADER) ?? '');
      if (exchange) exchange.tries++;
      const response = await globalThis.fetch(url, init);
      if (!response.ok && exchange) exchange.errorBody = await response.clone().text().catch(() => undefined);
      return response;
    });
  }

  async complete(request: ModelRequest): Promise<ModelAnswer> {
    const started = Date.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([deadline.signal, request.signal]) : deadline.signal;
    const id = `${request.specId}#${++this.nextRequest}`;
    const exchange: Exchange = { tries: 0 };
    this.exchanges.set(id, exchange);
    // The SDK's own timeout only covers the wait for the headers and is retried: the deadline above replaces it.
    const requestOptions = { signal, timeout: request.timeoutMs + 60_000, headers: { [REQUEST_HEADER]: id } };
    const input: ShapeInput = {
      model: request.model,
      temperature: request.temperature,
      messages: request.messages,
      ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
      ...(this.options.seed !== undefined ? { seed: this.options.seed } : {}),
      ...(request.responseSchema ? { responseSchema: request.responseSchema } : {}),
    };
    let rungs: Rungs = { ...(this.learned.get(request.model) ?? TOP_RUNGS) };
    const usage: TokenUsage = { ...NO_USAGE };
    const rejections: Rejection[] = [];
    try {
      for (;;) {
        let completion: unknown;
        try {
          exchange.errorBody = undefined;
          completion = await this.client.chat.completions.create(buildBody(input, rungs) as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming, requestOptions);
        } catch (error) {
          const blamed = rejectedParameter(error, exchange, input, rungs);
          if (!blamed) throw error;
          const next = { ...rungs, [blamed]: rungs[blamed] + 1 };
          rejections.push({ parameter: blamed, sent: describeRung(blamed, rungs[blamed]), instead: describeRung(blamed, next[blamed]), message: serverMessage(error as APIError, exchange) });
          rungs = next;
          continue;
        }
        const answer = this.read(completion, request, usage);
        this.learn(request.model, rungs);
        return rejections.length ? { ...answer, adaptations: rejections.map((r) => `the server rejected ${r.sent} (${r.message}); sent ${r.instead} instead for the rest of the run`) } : answer;
      }
    } catch (error) {
      throw withUsage(this.explain(error, request, { started, exchange, rejections, deadline: deadline.signal }), usage);
    } finally {
      clearTimeout(timer);
      this.exchanges.delete(id);
    }
  }

  /** Only ever moves down the ladders, so two requests that learned different things both stay true. */
  private learn(model: string, rungs: Rungs): void {
    const known = { ...(this.learned.get(model) ?? TOP_RUNGS) };
    for (const name of Object.keys(rungs) as ParameterName[]) known[name] = Math.max(known[name], rungs[name]);
    this.learned.set(model, known);
  }

  /** The answer of a 200, or a clear error for a body that is not a chat completion. Usage is counted first. */
  private read(completion: unknown, request: ModelRequest, usage: TokenUsage): Omit<ModelAnswer, 'adaptations'> {
    const where = this.where(request);
    const fail = (message: string, fix: string, code: string) => new SpecwrightError(`spec "${request.specId}": ${message}`, { fix, code });
    if (typeof completion === 'string') {
      const title = htmlTitle(completion);
      throw fail(
        title ? `${where} answered 200 with an HTML page ("${title}") instead of a chat completion` : `${where} answered 200 with a body that is not JSON: ${quote(completion)}`,
        'check OPENAI_BASE_URL: it must be the API root ending in /v1 (a proxy or login page answers HTML)',
        'MODEL_BAD_RESPONSE',
      );
    }
    const body = (completion ?? {}) as Partial<OpenAI.ChatCompletion>;
    const spent = readUsage(body.usage);
    addUsage(usage, spent);
    const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
    if (!choice) {
      throw fail(`${where} answered 200 without ${Array.isArray(body.choices) ? 'any choice' : '`choices`'}: ${quote(JSON.stringify(completion))}`, 'check the server\'s logs and that OPENAI_BASE_URL points at an OpenAI-compatible /v1 API', 'MODEL_BAD_RESPONSE');
    }
    const message = choice.message;
    if (message?.refusal) {
      throw new SpecwrightError(`the model refused spec "${request.specId}": ${message.refusal}`, {
        expected: 'the files of the spec',
        fix: 'reword the spec\'s description or constraints, or use another model (spec `model.name`)',
        code: 'MODEL_REFUSED',
      });
    }
    if (choice.finish_reason === 'content_filter') {
      throw fail(`${where} withheld the answer: its content filter stopped it (finish_reason "content_filter")`, 'reword the spec (names, examples, rules) that may trip the filter, or ask the Azure resource\'s owner about its content filtering configuration', 'MODEL_CONTENT_FILTER');
    }
    return {
      text: typeof message?.content === 'string' ? message.content : '',
      model: typeof body.model === 'string' && body.model ? body.model : request.model,
      usage: spent,
      finishReason: choice.finish_reason === 'length' ? 'length' : 'stop',
    };
  }

  private where(request: ModelRequest): string {
    return `${this.options.where} (model ${request.model})`;
  }

  /** Turns SDK errors into messages that say what happened at which server and what to do. */
  private explain(error: unknown, request: ModelRequest, context: { started: number; exchange: Exchange; rejections: Rejection[]; deadline: AbortSignal }): Error {
    if (error instanceof SpecwrightError) return error;
    const where = this.where(request);
    const details = (message: string, fix: string, code: string) => new SpecwrightError(`spec "${request.specId}": ${message}`, { fix, code, cause: error });
    const tries = context.exchange.tries;
    const waited = `waited ${((Date.now() - context.started) / 1000).toFixed(1)} s in total over ${tries} ${tries === 1 ? 'try' : 'tries'}`;
    if (context.deadline.aborted || error instanceof OpenAI.APIConnectionTimeoutError) {
      return details(
        `${where} did not answer within ${request.timeoutMs} ms (${waited}; the deadline covers the whole answer, retries included)`,
        'raise timeoutMs in nx.json (or the spec\'s model.timeoutMs; a model on a CPU needs minutes — see "A local model" in the README), lower maxOutputTokens, or check the server',
        'MODEL_TIMEOUT',
      );
    }
    if (error instanceof OpenAI.APIUserAbortError) return details('the request was cancelled', 'run again', 'MODEL_ABORTED');
    if (error instanceof SyntaxError) {
      return details(`${where} answered with a body that is not valid JSON (${error.message})`, 'check the server\'s logs and OPENAI_BASE_URL', 'MODEL_BAD_RESPONSE');
    }
    if (error instanceof OpenAI.AuthenticationError || error instanceof OpenAI.PermissionDeniedError) {
      return details(`${where} refused the API key (${error.status})`, 'check OPENAI_API_KEY (and OPENAI_BASE_URL for non-OpenAI servers; AZURE_OPENAI_API_KEY for Azure)', 'MODEL_AUTH');
    }
    if (error instanceof OpenAI.RateLimitError) {
      return details(`${where} kept answering 429 (rate limited) after the SDK's retries (${waited})`, 'wait and run again, lower --concurrency, or raise maxRetries in nx.json', 'MODEL_RATE_LIMIT');
    }
    if (error instanceof OpenAI.APIConnectionError) {
      return details(`cannot reach ${where}: ${rootCause(error)}`, 'check OPENAI_BASE_URL and that the server is running (TLS errors: check the certificate or NODE_EXTRA_CA_CERTS)', 'MODEL_UNREACHABLE');
    }
    if (error instanceof OpenAI.APIError) {
      const text = serverMessage(error, context.exchange);
      const title = htmlTitle(`${error.message} ${context.exchange.errorBody ?? ''}`);
      if (title) {
        return details(`${where} answered ${error.status} with an HTML page ("${title}") instead of JSON (${waited})`, 'a proxy or gateway answered, not the model server: check OPENAI_BASE_URL and the server behind it', 'MODEL_BAD_RESPONSE');
      }
      const overflow = contextOverflow(text, errorBody(error, context.exchange));
      if (overflow) {
        const sizes =
          overflow.contextTokens !== undefined
            ? ` (the context holds ${overflow.contextTokens} tokens${overflow.requestedTokens !== undefined ? `, the request needed ${overflow.requestedTokens}` : ''})`
            : '';
        return details(
          `the prompt for spec "${request.specId}" and its answer do not fit the context of ${where}${sizes}: ${text}`,
          `give the server a larger context (llama.cpp: \`llama-server -c 16384\`; Ollama: \`num_ctx\` in a Modelfile or OLLAMA_CONTEXT_LENGTH; vLLM: \`--max-model-len\`; LM Studio: the model's context length), lower maxOutputTokens${request.maxOutputTokens !== undefined ? ` (now ${request.maxOutputTokens})` : ''}, or split the spec`,
          'MODEL_CONTEXT_EXCEEDED',
        );
      }
      if (isContentFilter(text, errorBody(error, context.exchange))) {
        return details(`${where} filtered the prompt (content management policy): ${text}`, 'reword the spec (names, examples, rules) that may trip the filter, or ask the Azure resource\'s owner about its content filtering configuration', 'MODEL_CONTENT_FILTER');
      }
      if (error instanceof OpenAI.NotFoundError) {
        return details(`${where} answered 404: ${text}`, 'check the model name (nx.json plugin options or the spec\'s model.name), OPENAI_BASE_URL, and for Azure the deployment (AZURE_OPENAI_DEPLOYMENT) and api-version', 'MODEL_NOT_FOUND');
      }
      if (error.status === 400 || error.status === 422) {
        const structured = context.rejections.some((r) => r.parameter === 'response_format');
        const history = context.rejections.map((r) => `it rejected ${r.sent} ("${r.message}"), so it was asked again with ${r.instead}`).join('; ');
        return details(
          `${where} rejected the request (${error.status}): ${text}${history ? `; before that, ${history}` : ''}${structured ? '. The server may not support structured output for this model or its chat template' : ''}`,
          structured
            ? 'use a model (or chat template, e.g. llama.cpp `--jinja`) that supports JSON output, or update the server; the request is valid OpenAI'
            : 'check the model settings in nx.json or the spec (model.name, temperature, maxOutputTokens) against what this server accepts',
          'MODEL_REQUEST_REJECTED',
        );
      }
      return details(`${where} answered ${error.status ?? 'an error'}: ${error.status} ${text} (${waited})`, 'check the server\'s logs; run again once it is healthy', 'MODEL_ERROR');
    }
    return details(`request to ${where} failed: ${(error as Error)?.message ?? String(error)}`, 'run again; report a bug if it persists', 'MODEL_ERROR');
  }
}

/** The parameter to ask again without, when the error is a 400 about the request's shape (not its size or content). */
function rejectedParameter(error: unknown, exchange: Exchange, input: ShapeInput, rungs: Rungs): ParameterName | undefined {
  if (!(error instanceof APIError) || (error.status !== 400 && error.status !== 422)) return undefined;
  const text = serverMessage(error, exchange);
  const body = errorBody(error, exchange);
  if (contextOverflow(text, body) || isContentFilter(text, body)) return undefined;
  return blamedParameter({ param: typeof error.param === 'string' ? error.param : null, text: `${text} ${JSON.stringify(body ?? '')}` }, input, rungs);
}

/** The error answer's body: the SDK's parse of its `error` key, else the whole body as the server sent it. */
function errorBody(error: APIError, exchange: Exchange): unknown {
  if (error.error !== undefined) return error.error;
  if (exchange.errorBody === undefined) return undefined;
  try {
    return JSON.parse(exchange.errorBody) as unknown;
  } catch {
    return exchange.errorBody;
  }
}

/** The server's own words, without the SDK's status prefix. */
function serverMessage(error: APIError, exchange: Exchange): string {
  const body = errorBody(error, exchange);
  if (typeof body === 'string') return body.length > 2000 ? `${body.slice(0, 2000)}…` : body;
  const message = (body as { message?: unknown; error?: { message?: unknown } } | undefined)?.message ?? (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  if (typeof message === 'string') return message;
  return error.message.replace(/^\d{3}\s+/, '');
}

function readUsage(usage: OpenAI.CompletionUsage | undefined): TokenUsage {
  const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);
  return {
    promptTokens: count(usage?.prompt_tokens),
    completionTokens: count(usage?.completion_tokens),
    cachedTokens: count(usage?.prompt_tokens_details?.cached_tokens),
  };
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
