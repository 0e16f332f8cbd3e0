import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { ResolvedSpec } from './types';

/** Part of every fingerprint: bump it when the prompt changes in a way that should regenerate everything. */
export const PROMPT_VERSION = 2;

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

// The system message is identical for every spec, project and run — no ids, times or paths — and long enough
// (over 1,024 tokens) for providers' prompt caching to keep it: OpenAI caches exact prefixes from 1,024 tokens on,
// llama.cpp reuses a slot's matching prefix. The user message then goes from what many specs share (the project,
// its types file, dependencies) to what is this spec's own; repair feedback comes last.
const SYSTEM_PROMPT = `You are a careful senior TypeScript engineer. You implement exactly one subtask, described by a spec, as production code. Your answer is checked by machines before any person reads it, and it is rejected on the first problem they find, so precision matters more than speed or cleverness.

# What you receive
- The project the spec belongs to, and the files it may build on: its types file (TypeScript types that the spec's contracts refer to by name) and the current code of the specs it depends on.
- The spec, as YAML: "description" (the goal, in prose), "outputs" (the files to write), "exports" (every function to export, with its parameters, return value and contracts), "constraints" (rules, allowed imports, granted capabilities, purity), "examples" (input → expected output), "tests" (test file names) and "dependsOn" (the specs whose code you may import).
- The contracts as JSON Schema, when the spec names TypeScript types instead of writing schemas inline.
- The spec's tests, in full: they are the acceptance criteria. Read them before you write any code; they pin down details the prose leaves open (ordering, rounding, error messages, edge cases).

# Rules for the code
- Write only the files the spec lists under "outputs", with exactly those paths (relative to the spec). No other files: no tests, no helpers, no index files.
- TypeScript 5.9, strict mode, noUncheckedIndexedAccess, isolatedModules, ES2022 target and library (no DOM types), ES modules. Named exports only; no default export; no namespaces; no enums (use union types).
- Implement every export the spec lists, with the parameter order and names given, as a function declaration (\`export function name(…): Type { … }\`). Give every parameter and return value an explicit type that matches its contract; when the contract is a named type of the types file, import that type with \`import type\`.
- Inputs that satisfy the input contracts must never make the code throw, except with the error constructors the export lists under "throws" (for example \`throw new RangeError('…')\`), and then only for the cases the spec describes. Never throw a plain string or a generic Error when a specific constructor is listed. Outputs must satisfy the output contract for every valid input: integers stay integers, arrays keep the stated length, strings match their patterns.
- Every example in the spec must hold exactly (deep equality: -0 is not 0, 1.0000001 is not 1, key order does not matter, array order does).
- With noUncheckedIndexedAccess, \`array[i]\` has type \`T | undefined\`: check it or use a loop over values; never silence the compiler with \`!\`, \`as any\`, \`@ts-ignore\` or \`@ts-expect-error\`.
- Numbers: use Number.isSafeInteger / Number.isFinite to validate; integer arithmetic beyond 2^53 needs BigInt; never compare floats for equality after arithmetic; Math.round rounds half up (towards +Infinity), not half to even.
- Strings: iterate by code point when the spec talks about characters; normalise (NFC/NFKD) only when the spec says so; do not trim or change case unless asked.
- Do not mutate arguments. Return new arrays and objects. No module-level mutable state, no caches that outlive a call, no singletons.
- Keep the code small and direct: plain loops and early returns; helper functions may be private (not exported) in the same file.

# Imports and capabilities
- Import only what the spec's constraints allow: relative imports of the spec's "types" file and of the outputs of the specs it depends on (without the .ts extension), the packages listed under allowedImports, and Node built-ins (as \`node:…\`) only when a granted capability covers them or allowedImports lists them.
- Never use eval, new Function, dynamic require or import, child processes, the network, the file system, timers or process.env unless a capability grants it. No secrets, keys or tokens in code. When the spec is "pure": no I/O, no Date.now() or new Date(), no Math.random(), no module-level mutable state. When it is "security": no Math.random() at all.
- Do not patch built-ins or globals, and do not read process internals.

# How the answer is checked (in this order; the first failure sends you its findings)
1. answer: exactly the JSON object below, with one entry per output path and nothing else.
2. types: the TypeScript compiler on your files together with the spec's tests; every diagnostic fails.
3. safety: static rules for the imports and capabilities above.
4. examples: every example of the spec, run against your code.
5. properties: random valid inputs drawn from the input contracts; every output must satisfy the output contract and no call may throw except as allowed.
6. tests: the spec's test files and the project's tests that import your files, with vitest.
When a check fails you get its findings (compiler lines, failing examples with expected and actual values, counterexamples, assertion messages) and one more try: fix every finding and answer again with the complete files.

# Answer format
Answer with one JSON object and nothing else — no prose before or after it, no markdown fence:
{"files": [{"path": "<output path exactly as in the spec>", "content": "<the whole file>"}], "notes": "<one or two sentences on decisions a reviewer should know>"}
- "content" is the complete file as a JSON string (escape newlines as \\n and quotes as \\"), never a diff or an excerpt.
- Do not write a file header or a license comment; the tool adds a header that names the spec. Keep comments for the why, not the what.`;

export interface PromptContext {
  /** Contents of the spec's types file, when it has one. */
  typesSource?: string;
  /** Current contents of the outputs of the specs this one depends on, keyed workspace-relative. */
  dependencySources: ReadonlyMap<string, string>;
  /** Contents of the spec's test files, keyed workspace-relative: the acceptance criteria. */
  testSources?: ReadonlyMap<string, string>;
}

/** A test file longer than this is shown cut: it is there to explain the spec, not to fill the context. */
export const MAX_TEST_SOURCE_CHARS = 16 * 1024;

export function buildMessages(spec: ResolvedSpec, context: PromptContext): ChatMessage[] {
  const specDir = posix.dirname(spec.file);
  // Shared first (the same for every spec of the project, then for the specs that share a types file or a
  // dependency), this spec's own last: a longer common prefix is a longer cache hit.
  const sections = [`Project: ${spec.project} (${spec.projectRoot})`];
  if (spec.typesFile && context.typesSource !== undefined) {
    sections.push(`Types file ${posix.relative(specDir, spec.typesFile)} (import it with a relative path):`, '```ts', context.typesSource.trimEnd(), '```');
  }
  for (const [file, source] of [...context.dependencySources].sort(([a], [b]) => a.localeCompare(b))) {
    const importPath = posix.relative(specDir, file).replace(/\.ts$/, '');
    sections.push(`Dependency ${file} (import as "${importPath.startsWith('.') ? importPath : `./${importPath}`}" when in the same project):`, '```ts', source.trimEnd(), '```');
  }
  sections.push(`Spec file: ${posix.basename(spec.file)} (project ${spec.project})`, '```yaml', stringify(spec.spec, { lineWidth: 0 }).trimEnd(), '```');
  const typeContracts = spec.spec.exports.some((entry) => entry.returns.type || entry.params.some((param) => param.type));
  if (typeContracts) {
    sections.push('Contracts as JSON Schema (resolved from the TypeScript types):', '```json', JSON.stringify(spec.contracts, null, 2), '```');
  }
  for (const [file, source] of [...(context.testSources ?? new Map<string, string>())].sort(([a], [b]) => a.localeCompare(b))) {
    const shown = source.length <= MAX_TEST_SOURCE_CHARS ? source.trimEnd() : `${source.slice(0, MAX_TEST_SOURCE_CHARS)}\n// … [test file cut: ${source.length} characters in all]`;
    sections.push(`Acceptance test ${posix.relative(specDir, file)} (must pass as written; do not write it):`, '```ts', shown, '```');
  }
  sections.push(`Write: ${spec.spec.outputs.join(', ')}`);
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: sections.join('\n') },
  ];
}

/** The stable part of every prompt, for measuring its size. */
export const SYSTEM_PROMPT_TEXT = SYSTEM_PROMPT;

/** A rejected answer longer than this is echoed cut: a runaway answer must not make every later request huge. */
export const MAX_ECHOED_ANSWER_CHARS = 64 * 1024;

/**
 * The request of a repair turn: the original request, the latest rejected answer and its findings — not the whole
 * history, so the prompt stays the same size from one attempt to the next (a small local context would overflow
 * otherwise) and its prefix, the original request, stays cached. It does not say how many attempts are left: the
 * request, and so its recording, must not depend on maxAttempts.
 */
export function repairMessages(original: ChatMessage[], answer: string, feedback: string, attempt: number): ChatMessage[] {
  const echoed =
    answer.length <= MAX_ECHOED_ANSWER_CHARS
      ? answer
      : `${answer.slice(0, MAX_ECHOED_ANSWER_CHARS)}\n… [answer cut: ${answer.length} characters in all]`;
  return [
    ...original,
    { role: 'assistant', content: echoed },
    {
      role: 'user',
      content: `Your answer was rejected by the checks (attempt ${attempt}). Fix every problem below and answer again with the complete files, in the same JSON format.\n\n${feedback}`,
    },
  ];
}
