import type { ChatMessage } from '../prompt';
import type { ResolvedSpec } from '../types';

/** Part of the recording key of a decomposition: bump it when the prompt changes in a way that should re-ask. */
export const DECOMPOSE_PROMPT_VERSION = 1;

/**
 * What the model answers (also the Structured Outputs schema). Each spec is YAML text rather than a nested
 * object: a spec holds free-form JSON Schemas and example values, which strict Structured Outputs cannot
 * express, and the YAML goes through the same parser as a hand-written spec, with the same line:column findings.
 */
export const DECOMPOSE_ANSWER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['specs', 'notes'],
  properties: {
    specs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['project', 'file', 'yaml', 'humanTests'],
        properties: {
          project: { type: 'string' },
          file: { type: 'string' },
          yaml: { type: 'string' },
          humanTests: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['file', 'cases'],
              properties: { file: { type: 'string' }, cases: { type: 'array', items: { type: 'string' } } },
            },
          },
        },
      },
    },
    notes: { type: 'string' },
  },
} as const;

// Static, so that prompt caching hits: no ids, paths or times; the workspace and the feature come after it.
const SYSTEM_PROMPT = `You are a senior TypeScript engineer who decomposes a feature into subtasks that another model will implement, one subtask per Specwright spec. Each subtask must be precise enough that any implementation passing its examples and tests is correct: explicit inputs, outputs, constraints and success criteria.

A spec is a YAML file:
id: <project-prefix>/<kebab-name>        # unique in the workspace, e.g. money/convert
description: |                          # the goal and the exact rules, in prose; name every export of another spec it uses
  ...
outputs: [<name>.ts]                    # the generated files, relative to the spec file (same folder)
types: ./<file>.types.ts                # optional: an EXISTING hand-written types file of the project
exports:
  - name: <functionName>
    params:
      - name: <paramName>
        description: <meaning, unit>
        schema: { type: integer, minimum: <lo>, maximum: <hi> }   # inline JSON Schema, or  type: <ExportedTypeName>  from the types file
    returns:
      schema: { ... }
    throws: [RangeError]                # error constructors it may throw
constraints:
  rules: [<prose rules that a test or example pins>]
  allowedImports: [<module specifiers the output may import, e.g. ./money.types or a workspace package>]
  capabilities: []                      # fs, net, child_process, env, random, timers, crypto: only when needed
  pure: true
examples:
  - { export: <functionName>, args: [<one value per param>], expect: <exact result> }
  - { export: <functionName>, args: [...], throws: RangeError }
tests: [<name>.test.ts]                 # the tests a person will write, beside the spec
dependsOn: [<ids of specs whose exports this one imports>]

Rules for a good decomposition:
- Small subtasks with one responsibility each (one to three exports), ordered by dependsOn as a DAG: no cycles, and a spec depends on another only when its code imports that spec's outputs. Reuse the existing specs listed below instead of re-implementing them.
- Every number has minimum and maximum, every string maxLength, every array maxItems: the range the code must handle, chosen so that arithmetic stays exact.
- Every export has examples: typical values, each boundary of its contracts (at the bound, and just past it with the error), and one example per declared error. Expected values must be exactly right; compute them carefully.
- Every rule in prose has a counterpart a machine checks: an example, a test case, or a constraint field.
- For each spec, list under humanTests the test file(s) named in its "tests" and the cases a person should write there (properties, round trips, tricky inputs), one sentence each.
- Put each spec file in the target project's source folder (e.g. "src/convert.spec.yaml", relative to the project root) and its outputs beside it. Never reuse an existing spec id or output path.
- Do not write "draft"; the tool marks every proposed spec as a draft itself.

Answer with one JSON object and nothing else:
{"specs": [{"project": "<target project name>", "file": "<spec path relative to the project root>", "yaml": "<the whole spec YAML>", "humanTests": [{"file": "<test file named in the spec's tests>", "cases": ["<case>"]}]}], "notes": "<the order to implement them in and any open question for the reviewer>"}`;

export interface DecomposeTarget {
  name: string;
  root: string;
  /** Workspace-relative `*.types.ts` files the drafts may refer to. */
  typesFiles: string[];
}

function signature(spec: ResolvedSpec): string {
  return spec.spec.exports
    .map((exported) => `${exported.name}(${exported.params.map((param) => param.name).join(', ')})${exported.throws.length ? ` throws ${exported.throws.join('|')}` : ''}`)
    .join('; ');
}

export function buildDecomposeMessages(feature: string, targets: readonly DecomposeTarget[], existing: readonly ResolvedSpec[]): ChatMessage[] {
  const lines = [`Prompt version ${DECOMPOSE_PROMPT_VERSION}.`, '', 'Target project(s):'];
  for (const target of targets) {
    lines.push(`- ${target.name} (root ${target.root})${target.typesFiles.length ? `; types files: ${target.typesFiles.map((file) => file.slice(target.root.length + 1)).join(', ')}` : ''}`);
  }
  lines.push('', 'Existing specs in the workspace (id — exports — file):');
  for (const spec of [...existing].sort((a, b) => a.spec.id.localeCompare(b.spec.id))) {
    if (spec.spec.draft) continue;
    lines.push(`- ${spec.spec.id} — ${signature(spec)} — ${spec.file}`);
  }
  lines.push('', 'Feature to decompose:', '"""', feature.trim(), '"""');
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: lines.join('\n') },
  ];
}

export function decomposeRepairMessages(previous: ChatMessage[], answer: string, findings: readonly string[], attempt: number, maxAttempts: number): ChatMessage[] {
  return [
    ...previous,
    { role: 'assistant', content: answer.length <= 64 * 1024 ? answer : `${answer.slice(0, 64 * 1024)}\n… [answer cut: ${answer.length} characters in all]` },
    {
      role: 'user',
      content: `The proposed specs were rejected by the spec parser and the checks (attempt ${attempt} of ${maxAttempts}). Fix every problem below and answer again with the complete set, in the same JSON format.\n\n${findings.map((finding) => `- ${finding}`).join('\n')}`,
    },
  ];
}
