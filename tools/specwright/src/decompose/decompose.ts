/**
 * Decomposition: a feature description → a set of draft subtask specs, through the same provider (openai, replay,
 * record) and the same ask → check → repair loop as generation. The answer is hostile input like any model answer:
 * every proposed spec goes through the spec parser, the set goes through the dependency graph checks, contracts are
 * resolved, outputs are checked against the policy and the lint's error-level rules; all findings go back to the
 * model at once. Nothing is written until the whole set passes, and then every file is written atomically.
 */
import Ajv from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ContractResolver } from '../contracts';
import { describeError, isSpecwrightError, SpecwrightError } from '../errors';
import { writeFileAtomic } from '../fs-utils';
import { orderSpecs } from '../graph';
import type { ProjectRef } from '../load';
import { lintSpec } from '../lint/lint';
import type { NormalizedOptions } from '../options';
import { parseSpec } from '../parse';
import type { ChatMessage } from '../prompt';
import type { Provider } from '../providers';
import { checkGenerationAllowed, type Policy } from '../review/policy';
import type { ParsedSpec, ResolvedSpec, TokenUsage } from '../types';
import { buildDecomposeMessages, DECOMPOSE_ANSWER_SCHEMA, decomposeRepairMessages, type DecomposeTarget } from './prompt';

export interface DecomposeAnswer {
  specs: { project: string; file: string; yaml: string; humanTests: { file: string; cases: string[] }[] }[];
  notes: string;
}

export interface DraftFile {
  /** Workspace-relative path of the spec file. */
  file: string;
  content: string;
  spec: ResolvedSpec;
  humanTests: { file: string; cases: string[] }[];
}

export interface DecomposeRequest {
  workspaceRoot: string;
  feature: string;
  /** Where the feature came from (a file path or "text"), for the drafts' header. */
  source: string;
  targets: DecomposeTarget[];
  /** Every valid spec of the workspace (drafts of an earlier run included). */
  existing: ResolvedSpec[];
  provider: Provider;
  options: Pick<NormalizedOptions, 'model' | 'temperature' | 'timeoutMs' | 'maxAttempts'>;
  policy?: Policy;
  /** Names the recording folder: `decompose/<slug>`. */
  slug: string;
  log?: (line: string) => void;
}

export interface DecomposeResult {
  ok: boolean;
  drafts: DraftFile[];
  attempts: number;
  usage: TokenUsage;
  notes?: string;
  /** The findings of the last rejected answer, when not ok. */
  findings: string[];
  error?: string;
}

const SPEC_PATH = /^[^\\:*?"<>|]+\.spec\.yaml$/;
let answerValidator: ReturnType<Ajv['compile']> | undefined;

export function decomposeSpecId(slug: string): string {
  return `decompose/${slug}`;
}

/** A stable, readable name for a feature: its file name, or its first words. */
export function featureSlug(source: string, feature: string): string {
  const base = source === 'text' ? feature.split(/\s+/).slice(0, 6).join(' ') : posix.basename(source.replace(/\\/g, '/')).replace(/\.(md|markdown|txt)$/i, '');
  return (
    base
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'feature'
  );
}

export async function decompose(request: DecomposeRequest): Promise<DecomposeResult> {
  const log = request.log ?? (() => undefined);
  let messages: ChatMessage[] = buildDecomposeMessages(request.feature, request.targets, request.existing);
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
  let findings: string[] = [];
  for (let attempt = 1; attempt <= request.options.maxAttempts; attempt++) {
    let text: string;
    try {
      const answer = await request.provider.complete({
        specId: decomposeSpecId(request.slug),
        model: request.options.model,
        temperature: request.options.temperature,
        messages,
        timeoutMs: request.options.timeoutMs,
        responseSchema: { name: 'specwright_decomposition', schema: DECOMPOSE_ANSWER_SCHEMA as unknown as Record<string, unknown> },
      });
      text = answer.text;
      usage.promptTokens += answer.usage.promptTokens;
      usage.completionTokens += answer.usage.completionTokens;
      usage.cachedTokens += answer.usage.cachedTokens;
    } catch (error) {
      return { ok: false, drafts: [], attempts: attempt, usage, findings, error: describeError(error) };
    }
    const checked = checkAnswer(text, request);
    if (checked.drafts) return { ok: true, drafts: checked.drafts, attempts: attempt, usage, ...(checked.notes ? { notes: checked.notes } : {}), findings: [] };
    findings = checked.findings;
    log(`attempt ${attempt}: ${findings.length} problem(s) in the proposed specs${attempt < request.options.maxAttempts ? '; asking the model to fix them' : ''}`);
    messages = decomposeRepairMessages(messages, text, findings, attempt, request.options.maxAttempts);
  }
  return { ok: false, drafts: [], attempts: request.options.maxAttempts, usage, findings, error: `the proposed specs were rejected ${request.options.maxAttempts} time(s)` };
}

/** JSON (with a ``` fence tolerated, as llama.cpp's grammar allows) → the answer, or why not. */
function parseAnswer(text: string): { answer?: DecomposeAnswer; findings: string[] } {
  const unfenced = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  let data: unknown;
  try {
    data = JSON.parse(unfenced);
  } catch (error) {
    return { findings: [`the answer is not JSON (${(error as Error).message}); answer with the JSON object only`] };
  }
  answerValidator ??= new Ajv({ allErrors: true, strict: false }).compile(DECOMPOSE_ANSWER_SCHEMA);
  if (!answerValidator(data)) {
    return { findings: (answerValidator.errors ?? []).map((error) => `answer${error.instancePath.replace(/\//g, '.')} ${error.message ?? 'is invalid'}`) };
  }
  const answer = data as DecomposeAnswer;
  if (answer.specs.length === 0) return { findings: ['the answer proposes no spec; decompose the feature into at least one subtask'] };
  return { answer, findings: [] };
}

function findingOf(error: unknown): string {
  return isSpecwrightError(error) ? error.format().replace(/\n\s+/g, ' — ') : describeError(error);
}

/** Every check a proposed set must pass, all findings at once; the drafts (with their final text) when it passes. */
export function checkAnswer(text: string, request: Pick<DecomposeRequest, 'workspaceRoot' | 'targets' | 'existing' | 'policy' | 'source' | 'feature'>): { drafts?: DraftFile[]; notes?: string; findings: string[] } {
  const { answer, findings } = parseAnswer(text);
  if (!answer) return { findings };
  const parsed: { draft: ParsedSpec; entry: DecomposeAnswer['specs'][number]; content: string }[] = [];
  const seenFiles = new Set<string>();
  answer.specs.forEach((entry, index) => {
    const where = `specs[${index}] (${entry.file})`;
    const target = request.targets.find((candidate) => candidate.name === entry.project);
    if (!target) {
      findings.push(`${where}: project "${entry.project}" is not a target; use one of ${request.targets.map((candidate) => candidate.name).join(', ')}`);
      return;
    }
    const relative = entry.file.replace(/\\/g, '/');
    if (!SPEC_PATH.test(relative) || relative.startsWith('/') || relative.split('/').includes('..')) {
      findings.push(`${where}: file must be a path relative to the project root ending in .spec.yaml, with no ".." (e.g. src/convert.spec.yaml)`);
      return;
    }
    const file = target.root === '.' ? posix.normalize(relative) : posix.join(target.root, relative);
    if (seenFiles.has(file)) findings.push(`${where}: ${file} is proposed twice`);
    seenFiles.add(file);
    const replaced = request.existing.find((spec) => spec.file === file);
    if (replaced && !replaced.spec.draft) findings.push(`${where}: ${file} is an existing, accepted spec; choose another file name`);
    const content = draftContent(file, entry, request.source);
    try {
      parsed.push({ draft: parseSpec(content.body, { file, projectRoot: target.root, project: target.name }), entry, content: content.full });
    } catch (error) {
      findings.push(`${where}: ${findingOf(error)}`);
    }
  });

  const files = new Set(parsed.map((item) => item.draft.file));
  const kept = request.existing.filter((spec) => !files.has(spec.file));
  // The set-level checks only once every draft parses: a draft that failed would show up as an unknown dependency.
  if (parsed.length === answer.specs.length) {
    try {
      orderSpecs([...kept, ...parsed.map((item) => item.draft)]);
    } catch (error) {
      findings.push(findingOf(error));
    }
  }

  const resolver = new ContractResolver(request.workspaceRoot);
  const specsById = new Map<string, ResolvedSpec>(kept.map((spec) => [spec.spec.id, spec]));
  const drafts: DraftFile[] = [];
  for (const { draft, entry, content } of parsed) {
    try {
      const resolved = resolver.resolve(draft);
      specsById.set(resolved.spec.id, resolved);
      drafts.push({ file: draft.file, content, spec: resolved, humanTests: entry.humanTests });
    } catch (error) {
      findings.push(findingOf(error));
    }
  }
  for (const draft of drafts) {
    const { spec } = draft;
    for (const output of spec.outputFiles) {
      const owner = request.existing.find((other) => other.outputFiles.includes(output));
      if (!owner && existsSync(join(request.workspaceRoot, output))) findings.push(`${spec.file}: output ${output} already exists and no spec owns it; choose another file name`);
    }
    if (request.policy) for (const refused of checkGenerationAllowed(request.policy, spec.outputFiles)) findings.push(`${spec.file}: ${refused.message}; ${refused.fix}`);
    if (spec.spec.tests.length === 0) findings.push(`${spec.file}: no tests listed; name the test file(s) a person will write under tests: and describe them under humanTests`);
    for (const test of spec.spec.tests) {
      if (!draft.humanTests.some((human) => human.file === test && human.cases.length > 0)) findings.push(`${spec.file}: test ${test} has no cases under humanTests; list what a person should test there`);
    }
    for (const human of draft.humanTests) {
      if (!spec.spec.tests.includes(human.file)) findings.push(`${spec.file}: humanTests names ${human.file}, which is not under the spec's tests:`);
    }
    // The precision a draft must have before a person even looks at it: examples for every export and every error.
    const lint = lintSpec(spec, { specsById, readFile: () => undefined, projectTests: () => [] });
    for (const finding of lint.findings) {
      if (finding.rule === 'export-without-example' || finding.rule === 'throws-without-example') findings.push(`${finding.file}:${finding.line}:${finding.column}: ${finding.message} — fix: ${finding.fix}`);
    }
  }
  if (findings.length > 0) return { findings };
  return { drafts, ...(answer.notes ? { notes: answer.notes } : {}), findings: [] };
}

/**
 * The file as written: a schema line for editors, a header saying where the draft came from and the tests a person
 * should write, then `draft: true` and the model's YAML (its own `draft:` and schema lines dropped: the tool decides
 * those). `body` is what the checks see.
 */
function draftContent(file: string, entry: DecomposeAnswer['specs'][number], source: string): { body: string; full: string } {
  const yaml = entry.yaml
    .replace(/\r\n/g, '\n')
    .split('\n')
    .filter((line) => !/^draft\s*:/.test(line) && !/^#\s*yaml-language-server:/.test(line))
    .join('\n')
    .trim();
  // Parsed with `draft: true` last, so that line:column in findings are those of the model's own YAML.
  const body = `${yaml}\ndraft: true\n`;
  const schemaPath = posix.relative(posix.dirname(file), 'specs/spec.schema.json');
  const header = [
    `# yaml-language-server: $schema=${schemaPath}`,
    `# Draft proposed by \`specwright decompose\` from ${source}. Review it (\`npx specwright lint ${file}\`), write`,
    '# the tests below, then delete the `draft: true` line to accept it.',
  ];
  for (const test of entry.humanTests) {
    header.push(`# Tests a person should write in ${test.file}:`);
    for (const testCase of test.cases) header.push(`#   - ${testCase.replace(/\s+/g, ' ').trim()}`);
  }
  return { body, full: `${header.join('\n')}\ndraft: true\n${yaml}\n` };
}

/** Writes every draft (atomically, each file), after one last parse of the exact text. */
export function writeDrafts(workspaceRoot: string, drafts: readonly DraftFile[]): void {
  for (const draft of drafts) parseSpec(draft.content, { file: draft.file, projectRoot: draft.spec.projectRoot, project: draft.spec.project });
  for (const draft of drafts) writeFileAtomic(join(workspaceRoot, draft.file), draft.content);
}

/** Accepting a draft: its `draft: true` line goes; the header stays as the record of where the spec came from. */
export function acceptDraft(workspaceRoot: string, file: string, project: ProjectRef): string {
  const absolute = join(workspaceRoot, file);
  const source = readFileSync(absolute, 'utf8');
  const parsed = parseSpec(source, { file, projectRoot: project.root, project: project.name });
  if (!parsed.spec.draft) {
    throw new SpecwrightError(`${file} is not a draft`, { file, expected: 'a spec with draft: true', fix: 'nothing to do: it is accepted already', code: 'NOT_A_DRAFT' });
  }
  const accepted = source.replace(/^draft\s*:\s*true\s*(#.*)?\n/m, '');
  parseSpec(accepted, { file, projectRoot: project.root, project: project.name });
  // An accepted spec's tests must exist (check reports a missing one): each missing file starts as a skeleton whose
  // todos are the cases the draft asked a person to write, before anything is generated.
  for (const testFile of parsed.testFiles) {
    const testPath = join(workspaceRoot, testFile);
    if (!existsSync(testPath)) writeFileAtomic(testPath, testSkeleton(parsed.spec.id, source, posix.basename(testFile)));
  }
  writeFileAtomic(absolute, accepted);
  return parsed.spec.id;
}

/** `it.todo` for every case the draft's header lists for this test file. */
export function testSkeleton(specId: string, draftSource: string, testFileName: string): string {
  const cases: string[] = [];
  let inFile = false;
  for (const line of draftSource.split('\n')) {
    const heading = /^# Tests a person should write in (.+):$/.exec(line);
    if (heading) inFile = heading[1] === testFileName;
    else if (inFile && /^#\s+- /.test(line)) cases.push(line.replace(/^#\s+- /, '').trim());
    else if (!line.startsWith('#')) break;
  }
  const todos = cases.length > 0 ? cases.map((testCase) => `  it.todo(${JSON.stringify(testCase)});`).join('\n') : `  it.todo('the behaviour ${specId} must have');`;
  return `import { describe, it } from 'vitest';

// Written by \`specwright decompose --accept\` from the draft's list of tests a person should write. Write each one
// (with the code's real imports) before generating the spec: these tests are its acceptance criteria.
describe(${JSON.stringify(specId)}, () => {
${todos}
});
`;
}
