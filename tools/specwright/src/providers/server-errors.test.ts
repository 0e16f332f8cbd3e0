import { describe, expect, it } from 'vitest';
import { contextOverflow, htmlTitle, isContentFilter, quote } from './server-errors';

describe('what servers say when a request does not fit', () => {
  it('llama.cpp: exceed_context_size_error with its sizes', () => {
    const body = { code: 400, message: 'request (4476 tokens) exceeds the available context size (4096 tokens), try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: 4476, n_ctx: 4096 };
    expect(contextOverflow(body.message, body)).toEqual({ contextTokens: 4096, requestedTokens: 4476 });
    expect(contextOverflow('the request exceeds the available context size, try increasing it', { type: 'exceed_context_size_error' })).toEqual({});
  });

  it('vLLM and OpenAI: "maximum context length is N tokens"', () => {
    const vllm = "This model's maximum context length is 2048 tokens. However, you requested 2100 tokens (1800 in the messages, 300 in the completion). Please reduce the length of the messages or completion.";
    expect(contextOverflow(vllm, { object: 'error', message: vllm, type: 'BadRequestError', code: 400 })).toEqual({ contextTokens: 2048, requestedTokens: 2100 });
    const openai = "This model's maximum context length is 128000 tokens. However, your messages resulted in 204308 tokens. Please reduce the length of the messages.";
    expect(contextOverflow(openai, { message: openai, code: 'context_length_exceeded', param: 'messages' })).toEqual({ contextTokens: 128000, requestedTokens: 204308 });
    expect(contextOverflow('max_tokens must be at least 1, got -186.', {})).toEqual({});
  });

  it('Ollama and LM Studio wordings', () => {
    expect(contextOverflow('input exceeds context length', undefined)).toEqual({});
    const lmstudio = 'Trying to keep the first 5000 tokens when context the overflows. However, the model is loaded with context length of only 4096 tokens, which is not enough.';
    expect(contextOverflow(lmstudio, lmstudio)).toEqual({ contextTokens: 4096 });
  });

  it('is not fooled by other 400s', () => {
    expect(contextOverflow('Failed to initialize samplers: std::exception', { type: 'invalid_request_error' })).toBeUndefined();
    expect(contextOverflow("Unsupported parameter: 'max_tokens' is not supported with this model.", { code: 'unsupported_parameter' })).toBeUndefined();
  });

  it('content filter, HTML pages, quotes', () => {
    expect(isContentFilter("The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", { code: 'content_filter' })).toBe(true);
    expect(isContentFilter('bad request', { code: 'invalid' })).toBe(false);
    expect(htmlTitle('<html><head><title>502 Bad Gateway</title></head><body></body></html>')).toBe('502 Bad Gateway');
    expect(htmlTitle('<!DOCTYPE html><body><h1>Sign in</h1></body>')).toBe('Sign in');
    expect(htmlTitle('{"error": "<b>not html</b>"}')).toBeUndefined();
    expect(quote('a\n  b')).toBe('"a b"');
    expect(quote('x'.repeat(300))).toBe(`"${'x'.repeat(200)}"… (300 characters)`);
  });
});
