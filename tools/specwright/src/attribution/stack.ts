import { existsSync } from 'node:fs';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';

/**
 * Frames out of a pasted stack trace or a vitest report: V8's `at fn (file:line:col)` and `at file:line:col`,
 * `file://` URLs, vitest's `❯ file:line:col` / `❯ fn file:line:col`, and bare `file:line[:col]` lines. Paths may be
 * absolute or relative (vitest prints them relative to the project it ran, and names that project as `|name|`).
 * Pure text → data; resolving paths against the workspace is `resolveFramePath`.
 */

export interface RawFrame {
  /** The text of the line, without colours. */
  raw: string;
  fn?: string;
  path: string;
  line: number;
  column?: number;
  /** The vitest project named on the closest `|name|` above this frame, if any. */
  project?: string;
  /** Which stack of the input it belongs to (a report holds one per failure), counting from 0. */
  stack: number;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const SOURCE = String.raw`(?:file:\/\/)?(node:[^\s():]+|(?:[A-Za-z]:)?[^\s()'"]+?\.[A-Za-z]{1,5})(?:\?[^\s:()]*)?:(\d+)(?::(\d+))?`;
const V8_NAMED = new RegExp(String.raw`^\s*at\s+(?:async\s+)?(.+?)\s+\(${SOURCE}\)\s*$`);
const V8_BARE = new RegExp(String.raw`^\s*at\s+(?:async\s+)?${SOURCE}\s*$`);
const VITEST = new RegExp(String.raw`^\s*❯\s+(?:(\S+)\s+)?${SOURCE}\s*$`);
const BARE = new RegExp(String.raw`^\s*${SOURCE}\s*$`);
const PROJECT_TAG = /\|([^|\s]+)\|/;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export function parseFrames(text: string): RawFrame[] {
  const frames: RawFrame[] = [];
  let project: string | undefined;
  let stack = 0;
  let inStack = false;
  for (const rawLine of stripAnsi(text).split(/\r?\n/)) {
    // A failure header (vitest's FAIL line, an `XxxError:` line, its ⎯⎯⎯ separators) starts the next stack.
    if (/⎯|^\s*FAIL\s|^\s*(?:[A-Z]\w*)?(?:Error|Exception)\b.*:/.test(rawLine) && inStack) {
      stack++;
      inStack = false;
    }
    // vitest names the project as `|money|`, or, in colour, as a badge that reads ` money ` once colours are gone.
    const tag =
      /(?:FAIL|PASS|✓|×|❯)\s+\|([^|\s]+)\|/.exec(rawLine) ??
      /^\s*(?:FAIL|PASS|✓|×|❯)\s+([^\s|]+)\s+(?=\S+\.[A-Za-z]{1,5}(?:\s|$))/.exec(rawLine) ??
      /^\s*\|([^|\s]+)\|\s/.exec(rawLine);
    if (tag) project = tag[1];
    const named = V8_NAMED.exec(rawLine);
    const bare = named ? undefined : V8_BARE.exec(rawLine);
    const vitest = named || bare ? undefined : VITEST.exec(rawLine);
    const plain = named || bare || vitest ? undefined : BARE.exec(rawLine);
    let frame: Omit<RawFrame, 'stack'> | undefined;
    if (named) frame = { raw: rawLine.trim(), fn: named[1], path: named[2] as string, line: Number(named[3]), ...(named[4] ? { column: Number(named[4]) } : {}) };
    else if (bare) frame = { raw: rawLine.trim(), path: bare[1] as string, line: Number(bare[2]), ...(bare[3] ? { column: Number(bare[3]) } : {}) };
    else if (vitest) frame = { raw: rawLine.trim(), ...(vitest[1] && !PROJECT_TAG.test(vitest[1]) ? { fn: vitest[1] } : {}), path: vitest[2] as string, line: Number(vitest[3]), ...(vitest[4] ? { column: Number(vitest[4]) } : {}) };
    else if (plain) frame = { raw: rawLine.trim(), path: plain[1] as string, line: Number(plain[2]), ...(plain[3] ? { column: Number(plain[3]) } : {}) };
    if (frame) {
      frames.push(project ? { ...frame, project, stack } : { ...frame, stack });
      inStack = true;
    }
  }
  return frames;
}

/** Frames of Node's internals, node_modules and virtual modules: neither human nor generated code of this workspace. */
export function isExternalPath(path: string): boolean {
  return path.includes('/attribution/guards/runtime.') || path.startsWith('node:') || path.includes('/node_modules/') || path.startsWith('node_modules/') || path.startsWith('<') || path.startsWith('internal/');
}

export interface PathContext {
  workspaceRoot: string;
  cwd: string;
  /** Project name → workspace-relative root, to resolve vitest's project-relative paths. */
  projectRoots: ReadonlyMap<string, string>;
}

/** A frame's path as a workspace-relative path with `/`, or `undefined` when it is outside the workspace or unknown. */
export function resolveFramePath(path: string, context: PathContext, project?: string): string | undefined {
  const inside = (absolute: string): string | undefined => {
    const rel = relative(context.workspaceRoot, absolute);
    return rel.startsWith('..') || isAbsolute(rel) ? undefined : rel.split(sep).join('/');
  };
  if (isAbsolute(path)) return inside(path);
  const candidates: string[] = [];
  const projectRoot = project ? context.projectRoots.get(project) : undefined;
  if (projectRoot) candidates.push(join(context.workspaceRoot, projectRoot, path));
  candidates.push(resolve(context.cwd, path), join(context.workspaceRoot, path));
  for (const root of context.projectRoots.values()) candidates.push(join(context.workspaceRoot, root, path));
  for (const candidate of candidates) if (existsSync(candidate)) return inside(candidate);
  // A file that is gone (a deleted test) still belongs to the project vitest named.
  return projectRoot ? posix.join(projectRoot, path) : posix.normalize(path);
}
