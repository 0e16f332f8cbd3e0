import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SpecwrightError } from '../errors';
import { canonicalJson, readTextIfExists, sha256, stableStringify, writeFileAtomic } from '../fs-utils';
import { POINT_AT_A_MODEL, type ConversationOutcome, type FinishReason, type ModelAnswer, type ModelRequest, type Provider } from './provider';

export interface Recording {
  key: string;
  spec: string;
  model: string;
  answer: string;
  usage: ModelAnswer['usage'];
  /** Absent for answers recorded before it existed: those were stop. */
  finishReason?: FinishReason;
  /**
   * Set on an answer the gates rejected in a conversation that ended accepted: it is kept because replaying the
   * repair turn needs it, and marked so nobody mistakes it for an example.
   */
  rejected?: string;
}

/**
 * The key of a request: what the model was asked, nothing about when or by whom. The same spec, contracts,
 * dependencies, prompt and model settings give the same key, so replay is exact and a changed spec misses.
 */
export function recordingKey(request: Pick<ModelRequest, 'model' | 'temperature' | 'messages'>): string {
  return sha256(canonicalJson({ model: request.model, temperature: request.temperature, messages: request.messages })).slice('sha256:'.length);
}

export function recordingPath(workspaceRoot: string, recordingsDir: string, specId: string, key: string): string {
  return join(workspaceRoot, recordingsDir, specId.replace(/\//g, '__'), `${key.slice(0, 24)}.json`);
}

/** Answers from recordings committed under specs/recordings: offline, deterministic, no key needed. */
export class ReplayProvider implements Provider {
  readonly name = 'replay' as const;

  constructor(private readonly workspaceRoot: string, private readonly recordingsDir: string) {}

  async complete(request: ModelRequest): Promise<ModelAnswer> {
    const key = recordingKey(request);
    const path = recordingPath(this.workspaceRoot, this.recordingsDir, request.specId, key);
    const text = readTextIfExists(path);
    if (text === undefined) {
      throw new SpecwrightError(`no recorded answer for spec "${request.specId}" (request ${key.slice(0, 12)}); the spec or its prompt changed since it was recorded`, {
        file: join(this.recordingsDir, request.specId.replace(/\//g, '__'), `${key.slice(0, 24)}.json`),
        expected: 'a recording made with SPECWRIGHT_PROVIDER=record for exactly this request',
        fix: POINT_AT_A_MODEL,
        code: 'REPLAY_MISSING',
      });
    }
    const recording = JSON.parse(text) as Recording;
    // The tokens were spent when it was recorded; this run spends none.
    return { text: recording.answer, usage: recording.usage, model: recording.model, finishReason: recording.finishReason ?? 'stop', replayed: true };
  }
}

/**
 * Sends requests to a real provider and stores the answers of conversations that ended in accepted code. A spec
 * that failed leaves no recording behind (replaying it would only fail again); within an accepted conversation the
 * rejected answers are kept, marked, because the repair turns that follow them quote them.
 */
export class RecordProvider implements Provider {
  readonly name = 'record' as const;
  private readonly pending = new Map<string, Recording[]>();

  constructor(private readonly inner: Provider, private readonly workspaceRoot: string, private readonly recordingsDir: string) {}

  async complete(request: ModelRequest): Promise<ModelAnswer> {
    const answer = await this.inner.complete(request);
    const key = recordingKey(request);
    const recording: Recording = { key, spec: request.specId, model: answer.model, answer: answer.text, usage: answer.usage, ...(answer.finishReason === 'length' ? { finishReason: answer.finishReason } : {}) };
    const conversation = this.pending.get(request.specId) ?? [];
    conversation.push(recording);
    this.pending.set(request.specId, conversation);
    return answer;
  }

  settle(outcome: ConversationOutcome): void {
    const conversation = this.pending.get(outcome.specId) ?? [];
    this.pending.delete(outcome.specId);
    if (!outcome.accepted) return;
    conversation.forEach((recording, index) => {
      const rejected = outcome.rejections[index];
      const stored: Recording = rejected ? { ...recording, rejected } : recording;
      const path = recordingPath(this.workspaceRoot, this.recordingsDir, outcome.specId, recording.key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileAtomic(path, `${stableStringify(stored)}\n`);
    });
  }
}
