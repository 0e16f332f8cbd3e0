import Ajv, { type ValidateFunction } from 'ajv';
import { posix } from 'node:path';
import { withHeader } from './header';
import { ANSWER_SCHEMA } from './prompt';
import type { Candidate, FingerprintedSpec, GateVerdict } from './types';

/** A generated file larger than this is refused: no subtask needs it, and it is how runaway answers look. */
export const MAX_OUTPUT_BYTES = 512 * 1024;

let answerValidator: ValidateFunction<Candidate> | undefined;

/** Compiled on first use: a check run imports this module but never sees an answer. */
function validateAnswer(data: unknown): data is Candidate {
  // Looser than the Structured Outputs schema: servers in plain JSON mode often leave out the notes.
  answerValidator ??= new Ajv({ allErrors: true, strict: true }).compile<Candidate>({ ...ANSWER_SCHEMA, required: ['files'] });
  return answerValidator(data);
}

export interface StagedCandidate {
  verdicts: GateVerdict[];
  /** The candidate with headers, keyed by workspace-relative path; only when both checks passed. */
  files?: Map<string, string>;
  notes?: string;
}

/**
 * The first two gates, which need no code to run: the answer is the JSON we asked for (whatever the server claims
 * about structured outputs), and its files are exactly the spec's outputs — no extra file, no absolute path, no
 * `..`, nothing oversized or empty.
 */
export function stageAnswer(spec: FingerprintedSpec, text: string): StagedCandidate {
  const parsed = parseAnswer(text);
  if ('error' in parsed) {
    return { verdicts: [{ gate: 'answer', ok: false, findings: [{ message: parsed.error }] }] };
  }
  const answer: GateVerdict = { gate: 'answer', ok: true, findings: [] };
  const findings: GateVerdict['findings'] = [];
  const specDir = posix.dirname(spec.file);
  const expected = new Map(spec.spec.outputs.map((output, index) => [posix.normalize(output), spec.outputFiles[index] as string]));
  const files = new Map<string, string>();
  for (const file of parsed.candidate.files) {
    const path = file.path.replace(/\\/g, '/');
    if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
      findings.push({ message: `"${file.path}" is an absolute path; write only the outputs: ${spec.spec.outputs.join(', ')}` });
      continue;
    }
    const normalized = posix.normalize(path.replace(/^\.\//, ''));
    const fromSpecDir = posix.normalize(posix.join(specDir, normalized));
    const target = expected.get(normalized) ?? [...expected.values()].find((output) => output === fromSpecDir);
    if (!target) {
      const escapes = normalized.startsWith('..') || !fromSpecDir.startsWith(spec.projectRoot === '.' ? '' : `${spec.projectRoot}/`);
      findings.push({
        message: escapes
          ? `"${file.path}" points outside the project; write only the outputs: ${spec.spec.outputs.join(', ')}`
          : `"${file.path}" is not an output of this spec; write only: ${spec.spec.outputs.join(', ')}`,
      });
      continue;
    }
    if (files.has(target)) {
      findings.push({ message: `"${file.path}" appears twice in the answer` });
      continue;
    }
    const bytes = Buffer.byteLength(file.content, 'utf8');
    if (bytes > MAX_OUTPUT_BYTES) {
      findings.push({ file: target, message: `"${file.path}" is ${bytes} bytes, over the ${MAX_OUTPUT_BYTES}-byte limit for a generated file` });
      continue;
    }
    if (file.content.trim() === '') {
      findings.push({ file: target, message: `"${file.path}" is empty` });
      continue;
    }
    files.set(target, withHeader(spec, file.content));
  }
  for (const [output, target] of expected) {
    if (!files.has(target) && !findings.some((finding) => finding.file === target)) {
      findings.push({ message: `the answer has no file "${output}"; every output must be written in full` });
    }
  }
  const confinement: GateVerdict = { gate: 'confinement', ok: findings.length === 0, findings };
  return confinement.ok ? { verdicts: [answer, confinement], files, ...(parsed.candidate.notes ? { notes: parsed.candidate.notes } : {}) } : { verdicts: [answer, confinement] };
}

function parseAnswer(text: string): { candidate: Candidate } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { error: 'the answer was empty; answer with the JSON object {"files": [...], "notes": "..."}' };
  // Some servers wrap JSON in a markdown fence even in JSON mode, with any whitespace around it (llama.cpp's
  // grammar allows "```json { … } ```" on one line).
  const unfenced = /^```[ \t]*(?:json|JSON)?\s*([\s\S]*?)\s*```$/.exec(trimmed)?.[1] ?? trimmed;
  let data: unknown;
  try {
    data = JSON.parse(unfenced);
  } catch (error) {
    const flat = trimmed.replace(/\s+/g, ' ');
    const shown = flat.length <= 200 ? JSON.stringify(flat) : `${JSON.stringify(flat.slice(0, 200))}… (${trimmed.length} characters)`;
    return { error: `the answer is not JSON (${(error as Error).message.replace(/\s+/g, ' ')}); it begins ${shown}; answer with only the JSON object {"files": [{"path": ..., "content": ...}], "notes": ...}` };
  }
  if (!validateAnswer(data)) {
    const problems = (answerValidator?.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`).join('; ');
    return { error: `the answer does not have the required shape: ${problems}; expected {"files": [{"path": string, "content": string}], "notes": string}` };
  }
  return { candidate: data };
}
