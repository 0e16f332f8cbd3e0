import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../fs-utils';
import type { ReportedSpec } from './collect';

/**
 * Provenance in the Agent Trace format (RFC 0.1): one record, `files[]` → `conversations[]` (the generation that
 * wrote the file: contributor `{ type: 'ai', model_id }`) → `ranges[]` with a `content_hash` (`sha256:…`), plus the
 * `vcs` revision and the `tool`. A generated file is attributed to the model as a whole — header included — when its
 * content is still the generated one; a drifted file is attributed `mixed` (a person edited generated code).
 */

export const AGENT_TRACE_VERSION = '0.1.0';

export interface AgentTraceRange {
  start_line: number;
  end_line: number;
  content_hash: string;
}

export interface AgentTraceConversation {
  url?: string;
  contributor: { type: 'ai' | 'human' | 'mixed' | 'unknown'; model_id?: string };
  ranges: AgentTraceRange[];
  related?: { type: string; url: string }[];
}

export interface AgentTraceRecord {
  version: string;
  id: string;
  timestamp: string;
  vcs?: { type: 'git'; revision: string };
  tool: { name: string; version: string };
  files: { path: string; conversations: AgentTraceConversation[] }[];
  metadata?: Record<string, unknown>;
}

export function agentTrace(workspaceRoot: string, specs: readonly ReportedSpec[], options: { revision?: string; toolVersion: string; now?: Date; id?: string }): AgentTraceRecord {
  const files: AgentTraceRecord['files'] = [];
  for (const spec of specs) {
    for (const output of spec.outputs) {
      let content: string;
      try {
        content = readFileSync(join(workspaceRoot, output.file), 'utf8');
      } catch {
        continue; // a missing file has nothing to attribute
      }
      const lineCount = content.endsWith('\n') ? content.split('\n').length - 1 : content.split('\n').length;
      files.push({
        path: output.file,
        conversations: [
          {
            contributor: { type: output.state === 'drifted' ? 'mixed' : 'ai', model_id: spec.model },
            ranges: [{ start_line: 1, end_line: Math.max(1, lineCount), content_hash: sha256(content) }],
            related: [{ type: 'spec', url: spec.specFile }],
          },
        ],
      });
    }
  }
  return {
    version: AGENT_TRACE_VERSION,
    id: options.id ?? randomUUID(),
    timestamp: (options.now ?? new Date()).toISOString(),
    ...(options.revision ? { vcs: { type: 'git' as const, revision: options.revision } } : {}),
    tool: { name: 'specwright', version: options.toolVersion },
    files,
    metadata: {
      specwright: Object.fromEntries(
        specs.map((spec) => [
          spec.specId,
          { spec: spec.specFile, model: spec.model, provider: spec.provider, attempts: spec.attempts, runId: spec.runId, generatedAt: spec.generatedAt, reviewers: spec.outputs.map((o) => ({ file: o.file, reviewer: o.reviewer ?? null, state: o.state })) },
        ]),
      ),
    },
  };
}
