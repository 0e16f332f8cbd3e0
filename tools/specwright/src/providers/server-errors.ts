/**
 * Reading what OpenAI-compatible servers say when they refuse a request. Pure: text in, facts out. The wordings are
 * the servers' own:
 * - llama.cpp: 400 `{"error": {"type": "exceed_context_size_error", "message": "request (4476 tokens) exceeds the
 *   available context size (4096 tokens)", "n_prompt_tokens": 4476, "n_ctx": 4096}}`;
 * - vLLM and OpenAI: "This model's maximum context length is 8192 tokens. However, you requested 8334 tokens (338 in
 *   the messages, 7996 in the completion)…" (OpenAI adds `code: "context_length_exceeded"`); older vLLM: "max_tokens
 *   must be at least 1, got -186";
 * - Ollama: "input exceeds context length" (older builds; newer ones cut the prompt silently, which shows as
 *   `finish_reason: length`);
 * - LM Studio: "Trying to keep the first N tokens when context the overflows…" / "context length of only N tokens".
 */
export interface ContextOverflow {
  /** The server's context size, when it said it. */
  contextTokens?: number;
  /** The tokens the request needed, when the server said it. */
  requestedTokens?: number;
}

const CONTEXT_PATTERNS: RegExp[] = [
  /exceed_context_size_error/i,
  /context_length_exceeded/i,
  /maximum context length is \d+/i,
  /exceeds? (the )?(available |maximum )?context (size|length|window)/i,
  /context (size|length|window) (has been |was )?exceeded/i,
  /context length of only \d+/i,
  /when context the overflows/i,
  /max_tokens must be at least 1, got -\d+/i,
  /prompt is too long|input is too long|too many tokens/i,
];

export function contextOverflow(text: string, body: unknown): ContextOverflow | undefined {
  const error = errorObject(body);
  const type = typeof error?.type === 'string' ? error.type : '';
  const code = typeof error?.code === 'string' ? error.code : '';
  if (!CONTEXT_PATTERNS.some((pattern) => pattern.test(`${type} ${code} ${text}`))) return undefined;
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const match = (pattern: RegExp) => {
    const found = pattern.exec(text)?.[1];
    return found === undefined ? undefined : Number(found);
  };
  const contextTokens =
    number(error?.n_ctx) ??
    match(/maximum context length is (\d+)/i) ??
    match(/available context size \((\d+) tokens\)/i) ??
    match(/context length of only (\d+)/i) ??
    match(/limit[=:]\s*(\d+)/i);
  const requestedTokens = number(error?.n_prompt_tokens) ?? match(/you requested (\d+) tokens/i) ?? match(/request \((\d+) tokens\)/i) ?? match(/resulted in (\d+) tokens/i);
  return { ...(contextTokens !== undefined ? { contextTokens } : {}), ...(requestedTokens !== undefined ? { requestedTokens } : {}) };
}

/** Azure's prompt filter: 400 with `code: "content_filter"` (the answer's filter is `finish_reason: content_filter`). */
export function isContentFilter(text: string, body: unknown): boolean {
  const error = errorObject(body);
  return error?.code === 'content_filter' || /content management policy|content_filter/i.test(text);
}

/** An HTML page where JSON was expected: a proxy's error page, a login page, or a base URL that is not the API. */
export function htmlTitle(text: string): string | undefined {
  if (!/<(!doctype html|html[\s>]|head[\s>]|body[\s>]|title>)/i.test(text)) return undefined;
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
  const heading = /<h1[^>]*>([^<]*)<\/h1>/i.exec(text)?.[1]?.trim();
  return title || heading || 'untitled page';
}

/** The first characters of something a server sent, on one line, for a message. */
export function quote(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? JSON.stringify(flat) : `${JSON.stringify(flat.slice(0, max))}… (${text.length} characters)`;
}

function errorObject(body: unknown): Record<string, unknown> | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const inner = (body as { error?: unknown }).error;
  if (inner && typeof inner === 'object') return inner as Record<string, unknown>;
  return body as Record<string, unknown>;
}
