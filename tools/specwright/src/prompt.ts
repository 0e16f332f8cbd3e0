import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { ResolvedSpec } from './types';

/** Part of every fingerprint: bump it when the prompt changes in a way that should regenerate everything. */
export const PROMPT_VERSION = 1;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What the model must answer: JSON only, matching this schema (also sent as the Structured Outputs schema). */
export const ANSWER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['files', 'notes'],
  properties: {
    files: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'content'],
        properties: { path: { type: 'string' }, content: { type: 'string' } },
      },
    },
    notes: { type: 'string' },
  },
} as const;

// The system message is identical for every spec and every run — no ids, times or paths — so that providers'
// prompt caching hits on it; the spec comes after it, repair feedback last.
const SYSTEM_PROMPT = `You are a careful senior TypeScript engineer. You implement exactly one subtask, described by a spec, as production code.

Rules:
- Write only the files the spec lists under "outputs", with exactly those paths (relative to the spec). No other files.
- TypeScript 5.9, strict mode, noUncheckedIndexedAccess, ES2022 target, ES modules. Named exports only.
- Implement every export the spec lists, with the parameter order and names given, as a function declaration.
- Inputs that satisfy the input contracts must never make the code throw, except with the error constructors the export lists under "throws". Outputs must satisfy the output contract.
- Every example in the spec must hold exactly (deep equality).
- Import only what the spec's constraints allow: relative imports of the spec's "types" file and of the outputs of the specs it depends on, the packages listed under allowedImports, and Node built-ins only for granted capabilities.
- Never use eval, new Function, dynamic require/import, child processes, the network, the file system or process.env unless a capability grants it. No secrets in code. When the spec is "pure": no I/O, no Date.now(), no Math.random(), no module-level mutable state.
- Do not write a file header; the tool adds one. Keep comments for the why, not the what.

Answer with one JSON object and nothing else:
{"files": [{"path": "<output path exactly as in the spec>", "content": "<the whole file>"}], "notes": "<one or two sentences on decisions a reviewer should know>"}`;

export interface PromptContext {
  /** Contents of the spec's types file, when it has one. */
  typesSource?: string;
  /** Current contents of the outputs of the specs this one depends on, keyed workspace-relative. */
  dependencySources: ReadonlyMap<string, string>;
}

export function buildMessages(spec: ResolvedSpec, context: PromptContext): ChatMessage[] {
  const specDir = posix.dirname(spec.file);
  const sections = [
    `Spec file: ${posix.basename(spec.file)} (project ${spec.project})`,
    '```yaml',
    stringify(spec.spec, { lineWidth: 0 }).trimEnd(),
    '```',
  ];
  const typeContracts = spec.spec.exports.some((entry) => entry.returns.type || entry.params.some((param) => param.type));
  if (typeContracts) {
    sections.push('Contracts as JSON Schema (resolved from the TypeScript types):', '```json', JSON.stringify(spec.contracts, null, 2), '```');
  }
  if (spec.typesFile && context.typesSource !== undefined) {
    sections.push(`Types file ${posix.relative(specDir, spec.typesFile)} (import it with a relative path):`, '```ts', context.typesSource.trimEnd(), '```');
  }
  for (const [file, source] of [...context.dependencySources].sort(([a], [b]) => a.localeCompare(b))) {
    const importPath = posix.relative(specDir, file).replace(/\.ts$/, '');
    sections.push(`Dependency ${file} (import as "${importPath.startsWith('.') ? importPath : `./${importPath}`}" when in the same project):`, '```ts', source.trimEnd(), '```');
  }
  sections.push(`Write: ${spec.spec.outputs.join(', ')}`);
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: sections.join('\n') },
  ];
}

/** A rejected answer longer than this is echoed cut: a runaway answer must not make every later request huge. */
export const MAX_ECHOED_ANSWER_CHARS = 64 * 1024;

export function repairMessages(previous: ChatMessage[], answer: string, feedback: string, attempt: number, maxAttempts: number): ChatMessage[] {
  const echoed =
    answer.length <= MAX_ECHOED_ANSWER_CHARS
      ? answer
      : `${answer.slice(0, MAX_ECHOED_ANSWER_CHARS)}\n… [answer cut: ${answer.length} characters in all]`;
  return [
    ...previous,
    { role: 'assistant', content: echoed },
    {
      role: 'user',
      content: `Your answer was rejected by the checks (attempt ${attempt} of ${maxAttempts}). Fix every problem below and answer again with the complete files, in the same JSON format.\n\n${feedback}`,
    },
  ];
}
