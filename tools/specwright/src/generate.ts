import { stageAnswer } from './answer';
import { describeError } from './errors';
import { formatFeedback } from './feedback';
import { canonicalJson, sha256 } from './fs-utils';
import type { GateInput, GateSession } from './gates/gate';
import { buildMessages, repairMessages, type ChatMessage, type PromptContext } from './prompt';
import type { ModelAnswer, Provider } from './providers';
import { addUsage, usageOf } from './providers/provider';
import type { AttemptRecord, FingerprintedSpec, GateVerdict, ResolvedSpec, TokenUsage } from './types';

export interface GenerateRequest {
  spec: FingerprintedSpec;
  provider: Provider;
  model: { name: string; temperature: number };
  maxAttempts: number;
  timeoutMs: number;
  /** The most tokens one answer may have; undefined sends no limit. */
  maxOutputTokens?: number;
  prompt: PromptContext;
  /** Runs the code gates on a candidate; `undefined` runs only the answer and confinement checks. */
  gates?: GateRunner;
  /** Every loaded spec, for gates that look at dependencies. */
  specsById: ReadonlyMap<string, ResolvedSpec>;
  signal?: AbortSignal;
  /** Told about every attempt as it ends (the run log keeps them; see src/runs/log.ts). Must not throw. */
  onAttempt?: (event: AttemptEvent) => void;
}

/** One attempt, in full: what was asked, what came back, every gate's findings. */
export interface AttemptEvent {
  specId: string;
  attempt: number;
  maxAttempts: number;
  /** sha256 of the request (model, temperature, messages): equal hashes asked the model the same thing. */
  requestHash: string;
  model: string;
  /** Workspace-relative path → content, when the answer could be staged. */
  candidateFiles: { path: string; content: string }[];
  /** The raw answer, when it could not be staged (or the provider's error). */
  rawAnswer?: string;
  verdicts: GateVerdict[];
  notes?: string;
  usage: TokenUsage;
  startedAt: string;
  /** From the request going out to its answer (time spent waiting for a request slot is `queuedMs`). */
  modelMs: number;
  queuedMs?: number;
  /** From the answer to the last verdict, waiting for a free gate slot included. */
  gatesMs: number;
  accepted: boolean;
  /** The answer came from a recording: its usage was not spent by this run. */
  replayed?: boolean;
  providerError?: string;
}

export type GateRunner = (input: Omit<GateInput, 'workspaceRoot'>) => Promise<GateVerdict[]>;

export interface GenerateResult {
  ok: boolean;
  /** The accepted files (headers included), keyed workspace-relative; only when ok. */
  files?: Map<string, string>;
  attempts: number;
  /** Every token of every request, failed or not (for replay: what the recordings say was spent once). */
  usage: TokenUsage;
  /** Set when the answers came from recordings: `usage` was not spent by this run. */
  replayed?: boolean;
  history: AttemptRecord[];
  model: string;
  notes?: string;
  /** Differences from the reviewed version that the gates let through (pinned by the spec or accepted), for the lock. */
  behaviourChanges?: string[];
  /** What the provider had to change for this server (a parameter it rejected), once per change. */
  adaptations?: string[];
  /** Why it failed: the last attempt's failed gate and first findings, or the provider's error. */
  error?: string;
  /** The gate that failed last, for the summary. */
  failedGate?: string;
}

/**
 * Asks for a candidate, runs it through every gate, and on failure asks again with the original request, the
 * rejected answer and its findings, until it passes or the attempts run out. Every request is the same size (the
 * original prompt plus one answer and its feedback) and starts with the same cached prefix. Nothing here touches the
 * working tree: the accepted files are returned to the sink.
 */
export async function generateSpec(request: GenerateRequest): Promise<GenerateResult> {
  const { spec } = request;
  const original: ChatMessage[] = buildMessages(spec, request.prompt);
  let messages = original;
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
  const history: AttemptRecord[] = [];
  const adaptations: string[] = [];
  let replayed = false;
  let model = request.model.name;
  let lastFailure: { gate: string; feedback: string } | undefined;
  const result = (fields: Pick<GenerateResult, 'ok' | 'attempts'> & Partial<GenerateResult>): GenerateResult => {
    request.provider.settle?.({ specId: spec.spec.id, accepted: fields.ok, rejections: history.map((record) => record.failure) });
    return { usage, history, model, ...(replayed ? { replayed } : {}), ...(adaptations.length ? { adaptations } : {}), ...fields };
  };

  for (let attempt = 1; attempt <= request.maxAttempts; attempt++) {
    let answer: ModelAnswer;
    const startedAt = new Date();
    const requestHash = sha256(canonicalJson({ model: request.model.name, temperature: request.model.temperature, messages }));
    const observe = (usageOfAttempt: TokenUsage, event: Omit<AttemptEvent, 'specId' | 'attempt' | 'maxAttempts' | 'requestHash' | 'model' | 'usage' | 'startedAt'>) =>
      request.onAttempt?.({ specId: spec.spec.id, attempt, maxAttempts: request.maxAttempts, requestHash, model, usage: usageOfAttempt, startedAt: startedAt.toISOString(), ...event });
    try {
      answer = await request.provider.complete({
        specId: spec.spec.id,
        model: request.model.name,
        temperature: request.model.temperature,
        messages,
        timeoutMs: request.timeoutMs,
        ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (error) {
      // Provider failures (auth, unreachable, context overflow, missing recording) are not the model's fault: no
      // repair turn. The tokens a failed request still cost are counted.
      const spent = usageOf(error);
      addUsage(usage, spent);
      history.push({ attempt, gates: {}, failure: describeError(error).split('\n')[0], ...(spent ? { usage: spent } : {}) });
      observe(spent ?? { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }, { candidateFiles: [], verdicts: [], modelMs: Date.now() - startedAt.getTime(), gatesMs: 0, accepted: false, providerError: describeError(error) });
      return result({ ok: false, attempts: attempt, error: describeError(error), failedGate: 'provider' });
    }
    model = answer.model;
    replayed ||= answer.replayed === true;
    addUsage(usage, answer.usage);
    for (const note of answer.adaptations ?? []) if (!adaptations.includes(note)) adaptations.push(note);

    const answeredMs = Date.now() - startedAt.getTime();
    const modelMs = answeredMs - (answer.queuedMs ?? 0);
    const { list, staged } = answer.finishReason === 'length' ? { list: [truncated(answer, request.maxOutputTokens)], staged: undefined } : await check(request, answer.text);
    const record: AttemptRecord = { attempt, gates: {}, usage: { ...answer.usage } };
    for (const verdict of list) record.gates[verdict.gate] = verdict.skipped ? 'skip' : verdict.ok ? 'pass' : 'fail';
    const failed = list.filter((verdict) => !verdict.ok && !verdict.skipped);
    observe(answer.usage, {
      candidateFiles: [...(staged?.files ?? new Map<string, string>())].map(([path, content]) => ({ path, content })),
      ...(staged?.files ? {} : { rawAnswer: answer.text }),
      verdicts: list,
      ...(staged?.notes ? { notes: staged.notes } : {}),
      modelMs,
      ...(answer.queuedMs ? { queuedMs: answer.queuedMs } : {}),
      gatesMs: Date.now() - startedAt.getTime() - answeredMs,
      accepted: failed.length === 0 && !!staged?.files,
      ...(answer.replayed ? { replayed: true } : {}),
    });
    if (failed.length === 0 && staged?.files) {
      history.push(record);
      const behaviourChanges = list.flatMap((verdict) => verdict.behaviourChanges ?? []);
      return result({ ok: true, files: staged.files, attempts: attempt, ...(staged.notes ? { notes: staged.notes } : {}), ...(behaviourChanges.length > 0 ? { behaviourChanges } : {}) });
    }
    const feedback = formatFeedback(list);
    record.failure = `${failed[0]?.gate}: ${failed[0]?.findings[0]?.message ?? 'failed'}`;
    history.push(record);
    lastFailure = { gate: failed[0]?.gate ?? 'unknown', feedback };
    messages = repairMessages(original, answer.text, feedback, attempt);
  }
  return result({
    ok: false,
    attempts: request.maxAttempts,
    error: `rejected after ${request.maxAttempts} attempt(s); last failure in gate "${lastFailure?.gate}":\n${lastFailure?.feedback ?? ''}`,
    ...(lastFailure ? { failedGate: lastFailure.gate } : {}),
  });
}

/** The answer and confinement checks, then the code gates on a candidate that passed them. */
async function check(request: GenerateRequest, text: string): Promise<{ list: GateVerdict[]; staged: ReturnType<typeof stageAnswer> }> {
  const staged = stageAnswer(request.spec, text);
  const list = [...staged.verdicts];
  if (staged.files && request.gates) list.push(...(await request.gates({ spec: request.spec, files: staged.files, specsById: request.specsById, ...(request.signal ? { signal: request.signal } : {}) })));
  return { list, staged };
}

/**
 * An answer cut off at the output limit is a failed attempt the model can repair (shorter code, no commentary),
 * not the end of the spec. Cut off before maxOutputTokens, it was the context that ran out (llama.cpp stops there,
 * Ollama cuts the prompt silently to num_ctx): the finding says so, since a shorter answer will not help then.
 */
function truncated(answer: ModelAnswer, maxOutputTokens: number | undefined): GateVerdict {
  const spent = answer.usage.completionTokens;
  const contextFull = maxOutputTokens !== undefined && spent > 0 && spent < maxOutputTokens;
  const message = contextFull
    ? `the answer was cut off after ${spent} tokens (finish_reason "length"), before maxOutputTokens (${maxOutputTokens}): the model's context is full ` +
      `(${answer.usage.promptTokens} prompt + ${spent} answer tokens), so the answer is incomplete; answer again with the complete files and less text. ` +
      "If this repeats, raise the server's context (llama.cpp -c, Ollama num_ctx, vLLM --max-model-len, LM Studio's context length)"
    : `the answer was cut off at the output limit${maxOutputTokens !== undefined ? ` (maxOutputTokens ${maxOutputTokens})` : ''} after ${spent} tokens (finish_reason "length"), so it is incomplete; ` +
      'answer again with the complete files and less text: no comments beyond the essential, no alternatives, no explanations outside "notes". ' +
      "If this repeats, raise maxOutputTokens, or the server's context (llama.cpp -c, Ollama num_ctx, vLLM --max-model-len) when the prompt already fills most of it";
  return { gate: 'answer', ok: false, findings: [{ message }] };
}
