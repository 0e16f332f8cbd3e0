import { describe, expect, it } from 'vitest';
import { blamedParameter, buildBody, TOP_RUNGS, type Rungs, type ShapeInput } from './request-shape';

const input: ShapeInput = { model: 'm', temperature: 0, messages: [{ role: 'user', content: 'x' }], maxOutputTokens: 1000 };
const at = (changes: Partial<Rungs>): Rungs => ({ ...TOP_RUNGS, ...changes });

describe('request shape: one ladder per optional parameter', () => {
  it('builds the preferred request, and each rung down', () => {
    expect(buildBody(input, TOP_RUNGS)).toMatchObject({ model: 'm', temperature: 0, max_tokens: 1000, response_format: { type: 'json_schema', json_schema: { strict: true } } });
    expect(buildBody(input, TOP_RUNGS)).not.toHaveProperty('seed');
    expect(buildBody({ ...input, seed: 7 }, TOP_RUNGS)).toMatchObject({ seed: 7 });
    const down = buildBody({ ...input, seed: 7 }, { response_format: 1, max_tokens: 1, temperature: 1, seed: 1 });
    expect(down).toMatchObject({ max_completion_tokens: 1000, response_format: { type: 'json_object', schema: { type: 'object' } } });
    expect(down).not.toHaveProperty('temperature');
    expect(down).not.toHaveProperty('max_tokens');
    expect(down).not.toHaveProperty('seed');
    const bottom = buildBody(input, { response_format: 3, max_tokens: 2, temperature: 1, seed: 1 });
    expect(Object.keys(bottom).sort()).toEqual(['messages', 'model']);
  });

  it('blames the parameter the error names: param field first, then the earliest mention among those sent', () => {
    expect(blamedParameter({ param: 'temperature', text: 'whatever' }, input, TOP_RUNGS)).toBe('temperature');
    // A param field naming something else (the messages) is not a format problem, even on a json_schema request.
    expect(blamedParameter({ param: 'messages', text: "Invalid 'messages[1].content': string too long." }, input, TOP_RUNGS)).toBeUndefined();
    expect(blamedParameter({ text: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." }, input, TOP_RUNGS)).toBe('max_tokens');
    expect(blamedParameter({ text: "Unsupported parameter: 'max_completion_tokens'" }, input, at({ max_tokens: 1 }))).toBe('max_tokens');
    expect(blamedParameter({ text: "'response_format.type' must be 'json_schema' or 'text'" }, input, at({ response_format: 1 }))).toBe('response_format');
    expect(blamedParameter({ text: "Unrecognized request argument supplied: seed" }, { ...input, seed: 1 }, TOP_RUNGS)).toBe('seed');
  });

  it('a 400 naming nothing blames json_schema only; after that it blames nothing', () => {
    expect(blamedParameter({ text: 'Failed to initialize samplers: std::exception' }, input, TOP_RUNGS)).toBe('response_format');
    expect(blamedParameter({ text: 'Error rendering prompt with jinja template' }, input, TOP_RUNGS)).toBe('response_format');
    expect(blamedParameter({ text: 'Error rendering prompt with jinja template' }, input, at({ response_format: 1 }))).toBeUndefined();
    // llama.cpp's sampler error in JSON mode with a schema: the grammar again, one step down.
    expect(blamedParameter({ text: 'Failed to initialize samplers: failed to parse grammar' }, input, at({ response_format: 1 }))).toBe('response_format');
  });

  it('never blames a parameter that was not sent or has no rung left', () => {
    expect(blamedParameter({ text: 'seed is not supported' }, input, TOP_RUNGS)).toBe('response_format');
    expect(blamedParameter({ text: 'temperature is not supported' }, input, at({ temperature: 1, response_format: 3 }))).toBeUndefined();
    expect(blamedParameter({ text: 'max_tokens must be positive' }, { ...input, maxOutputTokens: undefined } as ShapeInput, at({ response_format: 3 }))).toBeUndefined();
  });
});
