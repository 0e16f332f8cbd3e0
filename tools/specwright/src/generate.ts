import { stageAnswer } from './answer';
import { describeError } from './errors';
import { formatFeedback } from './feedback';
import { canonicalJson, sha256 } from './fs-utils';
import type { GateInput, GateSession } from './gates/gate';
import { buildMessages, repairMessages, type ChatMessage, type PromptContext } from './prompt';
import type { Provider } from './providers';
import type { AttemptRecord, FingerprintedSpec, GateVerdict, ResolvedSpec, TokenUsage } from './types';

export interface GenerateRequest {
  spec: FingerprintedSpec;
  provider: Provider;
  model: { name: string; temperature: number };
  maxAttempts: number;
  timeoutMs: number;
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
  modelMs: number;
  gatesMs: number;
  accepted: boolean;
  providerError?: string;
}

export type GateRunner = (input: Omit<GateInput, 'workspaceRoot'>) => Promise<GateVerdict[]>;

export interface GenerateResult {
  ok: boolean;
  /** The accepted files (headers included), keyed workspace-relative; only when ok. */
  files?: Map<string, string>;
  attempts: number;
  usage: TokenUsage;
  history: AttemptRecord[];
  model: string;
  notes?: string;
  /** Why it failed: the last attempt's failed gate and first findings, or the provider's error. */
  error?: string;
  /** The gate that failed last, for the summary. */
  failedGate?: string;
}

/**
 * Asks for a candidate, runs it through every gate, and on failure sends the findings back in the same
 * conversation (so the cached prefix stays valid) until it passes or the attempts run out. Nothing here touches
 * the working tree: the accepted files are returned to the sink.
 */
export async function generateSpec(request: GenerateRequest): Promise<GenerateResult> {
  const { spec } = request;
  let messages: ChatMessage[] = buildMessages(spec, request.prompt);
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
  const history: AttemptRecord[] = [];
  let model = request.model.name;
  let lastFailure: { gate: string; feedback: string } | undefined;

  for (let attempt = 1; attempt <= request.maxAttempts; attempt++) {
    let answerText: string;
    const startedAt = new Date();
    const requestHash = sha256(canonicalJson({ model: request.model.name, temperature: request.model.temperature, messages }));
    const attemptUsage: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
    const observe = (event: Omit<AttemptEvent, 'specId' | 'attempt' | 'maxAttempts' | 'requestHash' | 'model' | 'usage' | 'startedAt'>) =>
      request.onAttempt?.({ specId: spec.spec.id, attempt, maxAttempts: request.maxAttempts, requestHash, model, usage: attemptUsage, startedAt: startedAt.toISOString(), ...event });
    try {
      const answer = await request.provider.complete({
        specId: spec.spec.id,
        model: request.model.name,
        temperature: request.model.temperature,
        messages,
        timeoutMs: request.timeoutMs,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      answerText = answer.text;
      model = answer.model;
      usage.promptTokens += answer.usage.promptTokens;
      usage.completionTokens += answer.usage.completionTokens;
      usage.cachedTokens += answer.usage.cachedTokens;
      Object.assign(attemptUsage, answer.usage);
    } catch (error) {
      // Provider failures (auth, unreachable, missing recording) are not the model's fault: no repair turn.
      history.push({ attempt, gates: {}, failure: describeError(error).split('\n')[0] });
      observe({ candidateFiles: [], verdicts: [], modelMs: Date.now() - startedAt.getTime(), gatesMs: 0, accepted: false, providerError: describeError(error) });
      return { ok: false, attempts: attempt, usage, history, model, error: describeError(error), failedGate: 'provider' };
    }

    const modelMs = Date.now() - startedAt.getTime();
    const staged = stageAnswer(spec, answerText);
    const verdicts = [...staged.verdicts];
    if (staged.files && request.gates) verdicts.push(...(await request.gates({ spec, files: staged.files, specsById: request.specsById, ...(request.signal ? { signal: request.signal } : {}) })));
    const record: AttemptRecord = { attempt, gates: {} };
    for (const verdict of verdicts) record.gates[verdict.gate] = verdict.skipped ? 'skip' : verdict.ok ? 'pass' : 'fail';
    const failed = verdicts.filter((verdict) => !verdict.ok && !verdict.skipped);
    observe({
      candidateFiles: [...(staged.files ?? new Map<string, string>())].map(([path, content]) => ({ path, content })),
      ...(staged.files ? {} : { rawAnswer: answerText }),
      verdicts,
      ...(staged.notes ? { notes: staged.notes } : {}),
      modelMs,
      gatesMs: Date.now() - startedAt.getTime() - modelMs,
      accepted: failed.length === 0 && !!staged.files,
    });
    if (failed.length === 0 && staged.files) {
      history.push(record);
      return { ok: true, files: staged.files, attempts: attempt, usage, history, model, ...(staged.notes ? { notes: staged.notes } : {}) };
    }
    const feedback = formatFeedback(verdicts);
    record.failure = `${failed[0]?.gate}: ${failed[0]?.findings[0]?.message ?? 'failed'}`;
    history.push(record);
    lastFailure = { gate: failed[0]?.gate ?? 'unknown', feedback };
    messages = repairMessages(messages, answerText, feedback, attempt, request.maxAttempts);
  }
  return {
    ok: false,
    attempts: request.maxAttempts,
    usage,
    history,
    model,
    error: `rejected after ${request.maxAttempts} attempt(s); last failure in gate "${lastFailure?.gate}":\n${lastFailure?.feedback ?? ''}`,
    ...(lastFailure ? { failedGate: lastFailure.gate } : {}),
  };
}
