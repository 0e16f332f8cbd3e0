import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reaction of the fake server to a chat completions request. */
export type Reply =
  | { kind: 'answer'; files: { path: string; content: string }[]; notes?: string; delayMs?: number; usage?: { prompt: number; completion: number; cached?: number } }
  | { kind: 'text'; text: string; delayMs?: number }
  | { kind: 'refusal'; text: string }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'garbage'; body: string }
  /** A 200 JSON body as given (e.g. one without `choices`). */
  | { kind: 'json'; body: unknown }
  /** An HTML page with this status, as a proxy or gateway sends it. */
  | { kind: 'html'; status: number; title: string }
  /**
   * The answer cut off (`finish_reason: length`): at the request's max_tokens (it then reports that many completion
   * tokens), or where the context ran out (`cause: 'context'`, it reports the tokens of `text`).
   */
  | { kind: 'length'; text: string; cause?: 'limit' | 'context' }
  /** Azure's answer filter: no content, `finish_reason: content_filter`. */
  | { kind: 'content_filter' }
  /** A valid answer sent a few bytes at a time, `intervalMs` apart: never idle, never done in time. */
  | { kind: 'trickle'; files: { path: string; content: string }[]; intervalMs: number }
  | { kind: 'hang' }
  | { kind: 'reset' };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model: string;
    temperature?: number;
    max_tokens?: number;
    max_completion_tokens?: number;
    seed?: number;
    messages: { role: string; content: string }[];
    response_format?: { type: string; schema?: unknown; json_schema?: unknown };
  };
  /** What the server answered: status, and the usage it reported (when it reported any). */
  status?: number;
  usage?: { prompt: number; completion: number; cached: number };
}

/**
 * What a real server does differently, from its documentation and issue tracker (see server-errors.ts for the
 * wordings). A profile changes the protocol around the scripted model: which parameters are refused and how, how
 * context overflows are reported, how caching is counted, how JSON mode behaves.
 */
export type QuirkProfile = 'openai' | 'openai-reasoning' | 'azure' | 'ollama' | 'vllm' | 'llamacpp' | 'lmstudio';

export interface Quirks {
  profile: QuirkProfile;
  /** The model's context in tokens; prompts (and, where the server counts it, max_tokens) beyond it overflow. */
  contextTokens?: number;
  /** llama.cpp: this model's chat template cannot take a json_schema grammar ("Failed to initialize samplers"). */
  samplerFails?: boolean;
  /** Azure: the deployment in the path and the api-version the resource answers. */
  azure?: { deployment: string; apiKey: string; apiVersion: string };
}

export interface FakeOpenAI {
  /** Base URL for OPENAI_BASE_URL, ending in /v1 (for the azure profile: the endpoint, without /openai). */
  url: string;
  requests: RecordedRequest[];
  /** Replies are taken in order; when the script runs out, `fallback` answers. */
  script(...replies: Reply[]): void;
  fallback: ((request: RecordedRequest) => Reply) | undefined;
  /** Servers without json_schema support: answer 400 to response_format json_schema. */
  rejectJsonSchema: boolean;
  quirks: Quirks | undefined;
  close(): Promise<void>;
}

/**
 * A small OpenAI-compatible chat completions server on 127.0.0.1 for tests: the real `openai` SDK talks to it
 * over HTTP. It counts requests and answers from a script, including faults (429 with retry-after, 500, hangs,
 * garbage bodies, HTML pages, trickled bodies, dropped connections), and with `quirks` behaves like a given server.
 */
export async function startFakeOpenAI(quirks?: Quirks): Promise<FakeOpenAI> {
  const queue: Reply[] = [];
  const hanging = new Set<ServerResponse>();
  const seenPrompts: number[][] = [];
  const fake: FakeOpenAI = {
    url: '',
    requests: [],
    script: (...replies) => queue.push(...replies),
    fallback: undefined,
    rejectJsonSchema: false,
    quirks,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as RecordedRequest['body'];
    const recorded: RecordedRequest = { path: request.url ?? '', headers: request.headers, body };
    fake.requests.push(recorded);
    const reject = (status: number, errorBody: unknown) => {
      recorded.status = status;
      send(response, status, errorBody);
    };
    if (fake.rejectJsonSchema && body.response_format?.type === 'json_schema') {
      return reject(400, { error: { message: "response_format 'json_schema' is not supported", type: 'invalid_request_error' } });
    }
    let promptTokens: number[] | undefined;
    if (fake.quirks) {
      const refused = refusal(fake.quirks, recorded);
      if (refused) return reject(refused.status, refused.body);
      promptTokens = encode(body.messages.map((message) => `<|${message.role}|>${message.content}`).join('\n'));
      const overflow = contextOverflow(fake.quirks, body, promptTokens.length);
      if (overflow) return reject(overflow.status, overflow.body);
    }
    const scripted = queue.shift() ?? fake.fallback?.(recorded) ?? { kind: 'status', status: 500, body: { error: { message: 'fake server: no scripted reply left' } } };
    const reply = fake.quirks ? asServer(fake.quirks, body, scripted) : scripted;
    const usageFor = (content: string, given?: { prompt: number; completion: number; cached?: number }) => {
      if (given) return { prompt: given.prompt, completion: given.completion, cached: given.cached ?? 0 };
      if (!promptTokens || !fake.quirks) return { prompt: 100, completion: 50, cached: 0 };
      const usage = { prompt: promptTokens.length, completion: encode(content).length, cached: cachedTokens(fake.quirks.profile, promptTokens, seenPrompts) };
      seenPrompts.push(promptTokens);
      return usage;
    };
    recorded.status = reply.kind === 'status' ? reply.status : reply.kind === 'html' ? reply.status : 200;
    await respond(reply, body, response, hanging, (content, given) => (recorded.usage = usageFor(content, given)), fake.quirks?.profile);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  fake.url = quirks?.profile === 'azure' ? `http://127.0.0.1:${port}` : `http://127.0.0.1:${port}/v1`;
  return fake;
}

const ERROR_400 = (message: string, extra: Record<string, unknown> = {}) => ({ error: { message, type: 'invalid_request_error', param: null, code: null, ...extra } });

/** A parameter this server refuses, in its own words; undefined when it takes the request. */
function refusal(quirks: Quirks, request: RecordedRequest): { status: number; body: unknown } | undefined {
  const { body } = request;
  const format = body.response_format;
  switch (quirks.profile) {
    case 'openai-reasoning':
      if (body.max_tokens !== undefined) {
        return { status: 400, body: ERROR_400("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", { param: 'max_tokens', code: 'unsupported_parameter' }) };
      }
      if (body.temperature !== undefined && body.temperature !== 1) {
        return { status: 400, body: ERROR_400(`Unsupported value: 'temperature' does not support ${body.temperature} with this model. Only the default (1) value is supported.`, { param: 'temperature', code: 'unsupported_value' }) };
      }
      return undefined;
    case 'azure': {
      const azure = quirks.azure ?? { deployment: 'gpt-4o-mini', apiKey: 'azure-key', apiVersion: '2024-10-21' };
      const url = new URL(request.path, 'http://fake');
      if (url.pathname !== `/openai/deployments/${azure.deployment}/chat/completions`) {
        return { status: 404, body: { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.' } } };
      }
      if (request.headers['api-key'] !== azure.apiKey) {
        return { status: 401, body: { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } } };
      }
      const version = url.searchParams.get('api-version') ?? '';
      if (version !== azure.apiVersion) return { status: 404, body: { error: { code: '404', message: 'Resource not found' } } };
      if (format?.type === 'json_schema' && version < '2024-08-01-preview') {
        return { status: 400, body: ERROR_400('response_format value as json_schema is enabled only for api versions 2024-08-01-preview and later', { param: 'response_format' }) };
      }
      if (format && 'schema' in format) {
        return { status: 400, body: ERROR_400("Additional properties are not allowed ('schema' was unexpected) - 'response_format'") };
      }
      return undefined;
    }
    case 'llamacpp':
      if (quirks.samplerFails && format?.type === 'json_schema') {
        return { status: 400, body: { error: { code: 400, message: 'Failed to initialize samplers: std::exception', type: 'invalid_request_error' } } };
      }
      return undefined;
    case 'lmstudio':
      if (format && format.type !== 'json_schema' && format.type !== 'text') return { status: 400, body: { error: "'response_format.type' must be 'json_schema' or 'text'" } };
      return undefined;
    default:
      return undefined;
  }
}

/** The server's own report of a prompt that does not fit; Ollama says nothing and cuts the prompt instead. */
function contextOverflow(quirks: Quirks, body: RecordedRequest['body'], prompt: number): { status: number; body: unknown } | undefined {
  const context = quirks.contextTokens;
  if (context === undefined) return undefined;
  const completion = body.max_tokens ?? body.max_completion_tokens ?? 0;
  switch (quirks.profile) {
    case 'llamacpp':
      // llama.cpp checks the prompt; the answer then stops where the context ends.
      if (prompt < context) return undefined;
      return { status: 400, body: { error: { code: 400, message: `request (${prompt} tokens) exceeds the available context size (${context} tokens), try increasing it`, type: 'exceed_context_size_error', n_prompt_tokens: prompt, n_ctx: context } } };
    case 'vllm':
      if (prompt + completion <= context) return undefined;
      return {
        status: 400,
        body: { object: 'error', message: `This model's maximum context length is ${context} tokens. However, you requested ${prompt + completion} tokens (${prompt} in the messages, ${completion} in the completion). Please reduce the length of the messages or completion.`, type: 'BadRequestError', param: null, code: 400 },
      };
    case 'lmstudio':
      if (prompt < context) return undefined;
      return { status: 400, body: { error: `Trying to keep the first ${prompt} tokens when context the overflows. However, the model is loaded with context length of only ${context} tokens, which is not enough. Try to load the model with a larger context length, or provide a shorter input` } };
    case 'ollama':
      return undefined;
    default:
      if (prompt + completion <= context) return undefined;
      return {
        status: 400,
        body: ERROR_400(`This model's maximum context length is ${context} tokens. However, you requested ${prompt + completion} tokens (${prompt} in the messages, ${completion} in the completion). Please reduce the length of the messages or completion.`, { param: 'messages', code: 'context_length_exceeded' }),
      };
  }
}

/**
 * The scripted model's answer as this server delivers it. llama.cpp: json_object without a schema is unconstrained
 * (the model answers the shape it likes), and its grammar lets the model wrap the JSON in a fence with spaces.
 * Ollama: a prompt beyond num_ctx is cut silently, so the model runs out of room: `finish_reason: length`.
 */
function asServer(quirks: Quirks, body: RecordedRequest['body'], reply: Reply): Reply {
  if (reply.kind !== 'answer') return reply;
  const json = JSON.stringify({ files: reply.files, notes: reply.notes ?? '' });
  if (quirks.profile === 'ollama' && quirks.contextTokens !== undefined) {
    const prompt = encode(body.messages.map((message) => `<|${message.role}|>${message.content}`).join('\n')).length;
    if (prompt >= quirks.contextTokens) return { kind: 'length', text: json.slice(0, 40), cause: 'context' };
  }
  if (quirks.profile === 'llamacpp') {
    const format = body.response_format;
    if (format?.type === 'json_object' && !format.schema) {
      return { kind: 'text', text: JSON.stringify({ file: reply.files[0]?.path, code: reply.files[0]?.content }) };
    }
    return { kind: 'text', text: `\`\`\`json ${json} \`\`\`` };
  }
  return reply;
}

/** Cached prompt tokens as the server counts them: OpenAI and Azure from 1,024 tokens in steps of 128. */
function cachedTokens(profile: QuirkProfile, prompt: number[], seen: number[][]): number {
  let longest = 0;
  for (const earlier of seen) {
    let same = 0;
    while (same < earlier.length && same < prompt.length && earlier[same] === prompt[same]) same++;
    longest = Math.max(longest, same);
  }
  switch (profile) {
    case 'openai':
    case 'openai-reasoning':
    case 'azure':
      return longest < 1024 ? 0 : 1024 + Math.floor((longest - 1024) / 128) * 128;
    case 'llamacpp':
      return longest;
    default:
      // vLLM, Ollama and LM Studio report no cached tokens through the OpenAI API.
      return 0;
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function completion(model: string, message: Record<string, unknown>, usage: { prompt: number; completion: number; cached: number }, finishReason = 'stop', profile?: QuirkProfile): unknown {
  const details = profile === 'ollama' || profile === 'lmstudio' || profile === 'vllm' ? {} : { prompt_tokens_details: { cached_tokens: usage.cached } };
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, finish_reason: finishReason, message: { role: 'assistant', ...message } }],
    usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion, ...details },
  };
}

type Usage = { prompt: number; completion: number; cached: number };

async function respond(
  reply: Reply,
  body: RecordedRequest['body'],
  response: ServerResponse,
  hanging: Set<ServerResponse>,
  usage: (content: string, given?: { prompt: number; completion: number; cached?: number }) => Usage,
  profile: QuirkProfile | undefined,
): Promise<void> {
  const wait = (ms = 0) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
  switch (reply.kind) {
    case 'answer': {
      await wait(reply.delayMs);
      const content = JSON.stringify({ files: reply.files, notes: reply.notes ?? '' });
      return send(response, 200, completion(body.model, { content }, usage(content, reply.usage), 'stop', profile));
    }
    case 'text':
      await wait(reply.delayMs);
      return send(response, 200, completion(body.model, { content: reply.text }, usage(reply.text), 'stop', profile));
    case 'length': {
      const limit = body.max_tokens ?? body.max_completion_tokens;
      const counted = usage(reply.text);
      if (reply.cause !== 'context' && limit !== undefined) counted.completion = limit;
      return send(response, 200, completion(body.model, { content: reply.text }, counted, 'length', profile));
    }
    case 'content_filter':
      return send(response, 200, completion(body.model, { content: null }, usage(''), 'content_filter', profile));
    case 'refusal':
      return send(response, 200, completion(body.model, { content: null, refusal: reply.text }, usage(reply.text), 'stop', profile));
    case 'status':
      return send(response, reply.status, reply.body ?? { error: { message: `fake ${reply.status}` } }, reply.headers);
    case 'json':
      return send(response, 200, reply.body);
    case 'html':
      response.writeHead(reply.status, { 'content-type': 'text/html' });
      return void response.end(`<!DOCTYPE html>\n<html><head><title>${reply.title}</title></head><body><h1>${reply.title}</h1><hr><center>nginx</center></body></html>\n`);
    case 'garbage':
      response.writeHead(200, { 'content-type': 'application/json' });
      return void response.end(reply.body);
    case 'trickle': {
      const content = JSON.stringify({ files: reply.files, notes: '' });
      const text = JSON.stringify(completion(body.model, { content }, usage(content), 'stop', profile));
      hanging.add(response);
      response.on('error', () => undefined);
      response.writeHead(200, { 'content-type': 'application/json' });
      for (let index = 0; index < text.length && !response.destroyed; index += 4) {
        response.write(text.slice(index, index + 4));
        await wait(reply.intervalMs);
      }
      hanging.delete(response);
      return void response.end();
    }
    case 'hang':
      hanging.add(response);
      return;
    case 'reset':
      response.socket?.destroy();
      return;
  }
}
