import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { readLock } from '../lock';
import { allReviewProjects } from '../review/state';
import type { ProjectRef } from '../load';
import { provenanceOf, type GeneratedProvenance, type Provenance } from './provenance';
import { isExternalPath, parseFrames, resolveFramePath, stripAnsi, type PathContext, type RawFrame } from './stack';

/**
 * `specwright explain`: whose code is this? For a file (optionally a line), a spec id, or every frame of a stack
 * trace: generated (with its provenance) or human, and where the two meet.
 */

export interface ExplainedFrame {
  index: number;
  /** Which stack of the input (one per failure in a vitest report). */
  stack: number;
  raw: string;
  fn?: string;
  /** Workspace-relative, when inside the workspace. */
  file?: string;
  line: number;
  column?: number;
  kind: 'generated' | 'human' | 'external';
  provenance?: GeneratedProvenance;
  /** This frame calls into, or is called from, code of the other kind (external frames in between ignored). */
  boundary: boolean;
}

export interface Boundary {
  /** The frame that makes the call (outer). */
  caller: number;
  /** The frame that is called (inner). */
  callee: number;
  direction: 'human→generated' | 'generated→human' | 'generated→generated';
  text: string;
}

export interface StackExplanation {
  frames: ExplainedFrame[];
  boundaries: Boundary[];
  /** Lines a guard printed into the same output (verdicts of `SPECWRIGHT_GUARDS=1`). */
  guardVerdicts: string[];
  /** Per stack: where the error was raised and who called into it, in one line. */
  summaries: string[];
}

export function pathContext(workspaceRoot: string, cwd: string, projects: readonly ProjectRef[] = allReviewProjects(workspaceRoot)): PathContext {
  const projectRoots = new Map<string, string>();
  for (const project of projects) {
    projectRoots.set(project.name, project.root);
    projectRoots.set(posix.basename(project.root), project.root);
    const unscoped = project.name.replace(/^@[^/]+\//, '');
    if (!projectRoots.has(unscoped)) projectRoots.set(unscoped, project.root);
  }
  return { workspaceRoot, cwd, projectRoots };
}

function location(frame: { file?: string; raw: string; line: number; column?: number }): string {
  return `${frame.file ?? '?'}:${frame.line}${frame.column ? `:${frame.column}` : ''}`;
}

export function explainStack(text: string, context: PathContext): StackExplanation {
  const seen = new Set<string>();
  const frames: ExplainedFrame[] = [];
  const cache = new Map<string, Provenance>();
  for (const raw of parseFrames(text)) {
    const file = isExternalPath(raw.path) ? undefined : resolveFramePath(raw.path, context, raw.project);
    const key = `${raw.stack}:${file ?? raw.path}:${raw.line}:${raw.column ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    frames.push(explainFrame(raw, file, frames.length + 1, context.workspaceRoot, cache));
  }
  const boundaries: Boundary[] = [];
  const own = frames.filter((frame) => frame.kind !== 'external');
  for (let i = 0; i + 1 < own.length; i++) {
    const callee = own[i] as ExplainedFrame;
    const caller = own[i + 1] as ExplainedFrame;
    if (callee.stack !== caller.stack) continue;
    const crosses = callee.kind !== caller.kind || (callee.kind === 'generated' && caller.provenance?.specId !== callee.provenance?.specId);
    if (!crosses) continue;
    callee.boundary = true;
    caller.boundary = true;
    const describe = (frame: ExplainedFrame) => (frame.kind === 'generated' ? `generated ${frame.provenance?.specId} (${location(frame)})` : `human ${location(frame)}`);
    const direction = caller.kind === 'human' ? 'human→generated' : callee.kind === 'human' ? 'generated→human' : 'generated→generated';
    boundaries.push({ caller: caller.index, callee: callee.index, direction, text: `${describe(caller)} calls ${describe(callee)}` });
  }
  const guardVerdicts = stripAnsi(text)
    .split(/\r?\n/)
    .filter((line) => line.includes('[specwright guards]'))
    .map((line) => line.trim());
  const summaries: string[] = [];
  for (const stack of [...new Set(own.map((frame) => frame.stack))]) {
    const inStack = own.filter((frame) => frame.stack === stack);
    const raised = inStack[0] as ExplainedFrame;
    const firstGenerated = inStack.find((frame) => frame.kind === 'generated');
    let line = `stack ${stack + 1}: raised in ${raised.kind === 'generated' ? `generated ${raised.provenance?.specId}` : 'human code'} at ${location(raised)}`;
    if (raised.kind === 'generated') {
      const caller = inStack.find((frame) => frame.kind === 'human');
      if (caller) line += `, called from human ${location(caller)}`;
      if (raised.provenance?.state === 'drifted') line += `; ${raised.file} was edited by hand since it was generated — the code that ran is not the reviewed one`;
    } else if (firstGenerated) {
      line += ` (generated ${firstGenerated.provenance?.specId} is on the stack at ${location(firstGenerated)}: the failure passed through it)`;
    } else {
      line += ': no generated code on this stack';
    }
    summaries.push(line);
  }
  const verdicts = [...new Set(guardVerdicts)];
  if (verdicts.length === 0 && own.some((frame) => frame.kind === 'generated')) {
    summaries.push('To tell a caller that broke a contract from generated code that broke its own (or a spec gap), run the test again with SPECWRIGHT_GUARDS=1: each failure then names the responsible party.');
  }
  return { frames, boundaries, guardVerdicts: verdicts, summaries };
}

function explainFrame(raw: RawFrame, file: string | undefined, index: number, workspaceRoot: string, cache: Map<string, Provenance>): ExplainedFrame {
  const base = { index, stack: raw.stack, raw: raw.raw, ...(raw.fn ? { fn: raw.fn } : {}), line: raw.line, ...(raw.column ? { column: raw.column } : {}), boundary: false };
  if (!file) return { ...base, kind: 'external' };
  let provenance = cache.get(`${file}:${raw.line}`);
  if (!provenance) {
    provenance = provenanceOf(workspaceRoot, file, raw.line);
    cache.set(`${file}:${raw.line}`, provenance);
  }
  return provenance.kind === 'generated' ? { ...base, file, kind: 'generated', provenance } : { ...base, file, kind: 'human' };
}

/** One line per provenance fact, for people. */
export function describeProvenance(p: GeneratedProvenance): string {
  const facts = [
    `spec ${p.specId} (${p.specFile})`,
    p.fingerprint ? `fingerprint ${p.fingerprint.slice(0, 19)}…` : undefined,
    p.model ? `model ${p.model}${p.provider ? ` via ${p.provider}` : ''}` : undefined,
    p.attempts !== undefined ? `${p.attempts} attempt(s)` : undefined,
    p.generatedAt ? `generated ${p.generatedAt}` : undefined,
    p.reviewer ? `reviewer ${p.reviewer}${p.reviewedAt ? ` (${p.reviewedAt})` : ''}` : 'no reviewer',
  ].filter(Boolean);
  return `${facts.join(' · ')}\n       content: ${p.state.toUpperCase()} — ${p.stateReason}`;
}

export function formatStackExplanation(explanation: StackExplanation): string {
  const lines: string[] = [];
  if (explanation.frames.length === 0) return 'No stack frames found in the input (expected lines like `at fn (file:line:col)` or vitest\'s `❯ file:line:col`).';
  lines.push('Frames, innermost first (▶ = where human and generated code meet):');
  let stack = -1;
  for (const frame of explanation.frames) {
    if (frame.stack !== stack) {
      stack = frame.stack;
      lines.push(`  stack ${stack + 1}:`);
    }
    const mark = frame.boundary ? '▶' : ' ';
    const where = frame.file ? location(frame) : frame.raw;
    lines.push(`${mark} ${String(frame.index).padStart(2)}  ${frame.kind.padEnd(9)}  ${where}${frame.fn ? `  (${frame.fn})` : ''}${frame.provenance?.exportAtLine ? `  in export ${frame.provenance.exportAtLine}` : ''}`);
    if (frame.provenance) lines.push(`       ${describeProvenance(frame.provenance)}`);
  }
  if (explanation.boundaries.length > 0) {
    lines.push('', 'Boundaries:');
    for (const boundary of explanation.boundaries) lines.push(`  ▶ ${boundary.direction}: ${boundary.text}`);
  } else {
    const kinds = new Set(explanation.frames.filter((f) => f.kind !== 'external').map((f) => f.kind));
    lines.push('', kinds.size === 0 ? 'No frame is in this workspace.' : `Every workspace frame is ${[...kinds][0]} code: no human↔generated boundary on this stack.`);
  }
  if (explanation.summaries.length > 0) lines.push('', ...explanation.summaries);
  if (explanation.guardVerdicts.length > 0) lines.push('', 'Guard verdicts in the same output:', ...explanation.guardVerdicts.map((line) => `  ${line}`));
  return lines.join('\n');
}

export interface TargetExplanation {
  target: string;
  /** The provenance of every matching file (one for a file, every output for a spec id). */
  files: Provenance[];
}

/** `explain <file[:line[:col]] | spec-id>`; `undefined` when the target is neither. */
export function explainTarget(target: string, context: PathContext): TargetExplanation | undefined {
  const match = /^(.*?)(?::(\d+))?(?::(\d+))?$/.exec(target);
  const path = match?.[1] ?? target;
  const line = match?.[2] ? Number(match[2]) : undefined;
  const file = resolveFramePath(path, context);
  if (file && existsSync(join(context.workspaceRoot, file))) return { target, files: [provenanceOf(context.workspaceRoot, file, line)] };
  for (const root of new Set(context.projectRoots.values())) {
    const lock = readLock(context.workspaceRoot, root);
    const entry = lock.specs[target];
    if (entry) return { target, files: Object.keys(entry.outputs).map((key) => provenanceOf(context.workspaceRoot, root === '.' ? key : `${root}/${key}`)) };
  }
  return undefined;
}

export function formatTargetExplanation(explanation: TargetExplanation): string {
  return explanation.files
    .map((p) => (p.kind === 'generated' ? `${p.file}: GENERATED${p.exportAtLine ? ` (export ${p.exportAtLine})` : ''}\n       ${describeProvenance(p)}` : `${p.file}: HUMAN (no Specwright header, no lock entry)`))
    .join('\n');
}
