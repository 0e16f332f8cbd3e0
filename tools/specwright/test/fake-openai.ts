import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reaction of the fake server to a chat completions request. */
export type Reply =
  | { kind: 'answer'; files: { path: string; content: string }[]; notes?: string; delayMs?: number; usage?: { prompt: number; completion: number; cached?: number } }
  | { kind: 'text'; text: string; delayMs?: number }
  | { kind: 'refusal'; text: string }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'garbage'; body: string }
  | { kind: 'hang' }
  | { kind: 'reset' };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model: string;
    temperature?: number;
    messages: { role: string; content: string }[];
    response_format?: { type: string };
  };
}

export interface FakeOpenAI {
  /** Base URL for OPENAI_BASE_URL, ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Replies are taken in order; when the script runs out, `fallback` answers. */
  script(...replies: Reply[]): void;
  fallback: ((request: RecordedRequest) => Reply) | undefined;
  /** Servers like llama.cpp without json_schema support: answer 400 to response_format json_schema. */
  rejectJsonSchema: boolean;
  close(): Promise<void>;
}

/**
 * A small OpenAI-compatible chat completions server on 127.0.0.1 for tests: the real `openai` SDK talks to it
 * over HTTP. It counts requests and answers from a script, including faults (429 with retry-after, 500, hangs,
 * garbage bodies, dropped connections).
 */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: Reply[] = [];
  const hanging = new Set<ServerResponse>();
  const fake: FakeOpenAI = {
    url: '',
    requests: [],
    script: (...replies) => queue.push(...replies),
    fallback: undefined,
    rejectJsonSchema: false,
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
    if (fake.rejectJsonSchema && body.response_format?.type === 'json_schema') {
      return send(response, 400, { error: { message: "response_format 'json_schema' is not supported", type: 'invalid_request_error' } });
    }
    const reply = queue.shift() ?? fake.fallback?.(recorded) ?? { kind: 'status', status: 500, body: { error: { message: 'fake server: no scripted reply left' } } };
    await respond(reply, body, response, hanging);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function completion(model: string, message: Record<string, unknown>, usage = { prompt: 100, completion: 50, cached: 0 }): unknown {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', ...message } }],
    usage: {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
      prompt_tokens_details: { cached_tokens: usage.cached ?? 0 },
    },
  };
}

async function respond(reply: Reply, body: RecordedRequest['body'], response: ServerResponse, hanging: Set<ServerResponse>): Promise<void> {
  const wait = (ms = 0) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
  switch (reply.kind) {
    case 'answer':
      await wait(reply.delayMs);
      return send(response, 200, completion(body.model, { content: JSON.stringify({ files: reply.files, notes: reply.notes ?? '' }) }, reply.usage ? { ...reply.usage, cached: reply.usage.cached ?? 0 } : undefined));
    case 'text':
      await wait(reply.delayMs);
      return send(response, 200, completion(body.model, { content: reply.text }));
    case 'refusal':
      return send(response, 200, completion(body.model, { content: null, refusal: reply.text }));
    case 'status':
      return send(response, reply.status, reply.body ?? { error: { message: `fake ${reply.status}` } }, reply.headers);
    case 'garbage':
      response.writeHead(200, { 'content-type': 'application/json' });
      return void response.end(reply.body);
    case 'hang':
      hanging.add(response);
      return;
    case 'reset':
      response.socket?.destroy();
      return;
  }
}
