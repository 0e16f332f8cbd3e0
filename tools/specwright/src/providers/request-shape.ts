import { ANSWER_SCHEMA } from '../prompt';

/**
 * The optional parts of a chat completions request, each a ladder of ways to send it, from the best one down to
 * leaving it out. OpenAI-compatible servers differ in what they take (llama.cpp cannot always turn a json_schema into
 * a grammar, LM Studio refuses json_object, reasoning models refuse temperature and max_tokens, …): when a server
 * answers 400 naming one of these parameters, the request is asked again one rung down. This is the one mechanism
 * for every such parameter — no per-server special cases.
 *
 * Pure: the provider keeps the rungs a run has learned (`RequestShape`), this module only builds bodies and decides
 * which parameter a 400 blames.
 */
export type ParameterName = 'response_format' | 'max_tokens' | 'temperature' | 'seed';

export interface ShapeInput {
  model: string;
  temperature: number;
  messages: { role: string; content: string }[];
  maxOutputTokens?: number;
  seed?: number;
  /** The answer's JSON Schema when it is not the generator's files (decompose asks for specs). */
  responseSchema?: { name: string; schema: Record<string, unknown> };
}

interface Rung {
  /** For messages: how the parameter is sent at this rung. */
  label: string;
  /** Adds the parameter to the body, or leaves it out. */
  apply(body: Record<string, unknown>, input: ShapeInput): void;
  /** Words by which a server's error names the parameter as sent at this rung. */
  names: RegExp;
}

interface Ladder {
  /** Whether the request uses the parameter at all (a seed nobody configured is never sent). */
  used(input: ShapeInput): boolean;
  rungs: Rung[];
}

const FILES_SCHEMA = { name: 'specwright_files', schema: ANSWER_SCHEMA as unknown as Record<string, unknown> };
const answerSchema = (input: ShapeInput) => input.responseSchema ?? FILES_SCHEMA;

export const LADDERS: Record<ParameterName, Ladder> = {
  response_format: {
    used: () => true,
    rungs: [
      {
        label: 'structured output (json_schema)',
        apply: (body, input) => (body.response_format = { type: 'json_schema', json_schema: { ...answerSchema(input), strict: true } }),
        names: /response_format|json_schema|structured output|sampler|grammar/i,
      },
      {
        // llama.cpp constrains json_object only when the schema is sent beside it; most others ignore the extra key.
        label: 'JSON mode with the schema beside it (json_object + schema)',
        apply: (body, input) => (body.response_format = { type: 'json_object', schema: answerSchema(input).schema }),
        names: /response_format|json_object|\bschema\b|sampler|grammar/i,
      },
      {
        label: 'JSON mode (json_object)',
        apply: (body) => (body.response_format = { type: 'json_object' }),
        names: /response_format|json_object/i,
      },
      { label: 'no response_format (the prompt asks for JSON; the answer is validated anyway)', apply: () => undefined, names: /$^/ },
    ],
  },
  max_tokens: {
    used: (input) => input.maxOutputTokens !== undefined,
    rungs: [
      { label: 'max_tokens', apply: (body, input) => (body.max_tokens = input.maxOutputTokens), names: /\bmax_tokens\b/ },
      { label: 'max_completion_tokens', apply: (body, input) => (body.max_completion_tokens = input.maxOutputTokens), names: /\bmax_completion_tokens\b/ },
      { label: 'no output limit', apply: () => undefined, names: /$^/ },
    ],
  },
  temperature: {
    used: () => true,
    rungs: [
      { label: 'temperature', apply: (body, input) => (body.temperature = input.temperature), names: /\btemperature\b/i },
      { label: "the server's default temperature", apply: () => undefined, names: /$^/ },
    ],
  },
  seed: {
    used: (input) => input.seed !== undefined,
    rungs: [
      { label: 'seed', apply: (body, input) => (body.seed = input.seed), names: /\bseed\b/i },
      { label: 'no seed', apply: () => undefined, names: /$^/ },
    ],
  },
};

const ORDER = Object.keys(LADDERS) as ParameterName[];

/** The rung of every parameter; 0 is the preferred way. */
export type Rungs = Record<ParameterName, number>;

export const TOP_RUNGS: Rungs = { response_format: 0, max_tokens: 0, temperature: 0, seed: 0 };

export function buildBody(input: ShapeInput, rungs: Rungs): Record<string, unknown> {
  const body: Record<string, unknown> = { model: input.model, messages: input.messages };
  for (const name of ORDER) {
    const ladder = LADDERS[name];
    if (ladder.used(input)) ladder.rungs[Math.min(rungs[name], ladder.rungs.length - 1)]?.apply(body, input);
  }
  return body;
}

export function describeRung(name: ParameterName, rung: number): string {
  const rungs = LADDERS[name].rungs;
  return rungs[Math.min(rung, rungs.length - 1)]?.label ?? name;
}

/**
 * The parameter a 400 blames: the one the error names (OpenAI's `param` field when it has one, else the words of
 * the message), among those this request sent and that have a rung left. A 400 that names nothing, answered to a
 * json_schema request, blames the response format: llama.cpp's "Failed to initialize samplers: …" and other
 * servers' template errors say nothing about response_format, yet the request works without a schema grammar.
 */
export function blamedParameter(error: { param?: string | null; text: string }, input: ShapeInput, rungs: Rungs): ParameterName | undefined {
  const open = ORDER.filter((name) => LADDERS[name].used(input) && rungs[name] < LADDERS[name].rungs.length - 1);
  const current = (name: ParameterName) => LADDERS[name].rungs[rungs[name]] as Rung;
  if (error.param) {
    // A server that names the parameter is taken at its word: one we do not send differently (`messages`) is not ours.
    return open.find((name) => current(name).names.test(error.param as string));
  }
  // Earliest mention wins: "'max_tokens' is not supported … use 'max_completion_tokens'" blames max_tokens.
  let best: { name: ParameterName; at: number } | undefined;
  for (const name of open) {
    const at = error.text.search(current(name).names);
    if (at >= 0 && (!best || at < best.at)) best = { name, at };
  }
  if (best) return best.name;
  return open.includes('response_format') && rungs.response_format === 0 ? 'response_format' : undefined;
}
