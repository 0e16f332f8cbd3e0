/**
 * Staging: the candidate's files and every relative module they reach (types file, dependsOn outputs, read from
 * disk) plus the sources of workspace packages they import by name (`@acme/money` → `<root>/node_modules/@acme/money`
 * → its package.json `main`, a .ts file) are transpiled to CommonJS with `ts.transpileModule` into a temp directory
 * under os.tmpdir(), with import paths rewritten to the staged copies. Other packages resolve through a
 * `node_modules` symlink to the workspace's. Nothing here runs candidate code.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { markOwner, trackDir, untrackDir } from '../reaper';
import {
  builtinName,
  fileExistsOnDisk,
  isCodeFile,
  isRelativeSpecifier,
  posix,
  resolveRelative,
  resolveWorkspacePackage,
  splitPackageSpecifier,
  toAbsolute,
} from '../util';

export interface StagedCode {
  /** The staging directory (real path), outside the workspace. */
  dir: string;
  /** Staged absolute paths of the candidate's code files, the modules the runner loads. */
  entries: string[];
  /** Workspace-relative source of each staged file, by staged absolute path. */
  sources: Map<string, string>;
  /** Paths the child may read (permission model). */
  readGrants: string[];
  /** The staged invariants module of the spec (gates/invariants.ts), when it has invariants. */
  invariants?: string;
  dispose(): Promise<void>;
}

export interface StageOptions {
  workspaceRoot: string;
  /** The source of the spec's invariants module, staged beside the candidate. */
  invariantsSource?: string;
  /** The candidate: workspace-relative path → content. Overrides the disk. */
  files: ReadonlyMap<string, string>;
  tmpRoot?: string;
}

const STAGE_COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  allowJs: true,
  inlineSourceMap: true,
  jsx: ts.JsxEmit.ReactJSX,
};

function stagedName(file: string): string {
  return file.endsWith('.json') ? file : file.replace(/\.(tsx?|mts|cts|jsx|mjs|cjs)$/, '.js');
}

export async function stageCode(options: StageOptions): Promise<StagedCode> {
  return stageCodeSync(options);
}

/**
 * `stageCode` without giving up the thread: the pool stages a candidate and starts its child before the types gate
 * (synchronous, seconds) holds the event loop, so the child boots while the candidate is type-checked.
 */
export function stageCodeSync(options: StageOptions): StagedCode {
  const { workspaceRoot, files } = options;
  const created = fs.mkdtempSync(path.join(options.tmpRoot ?? os.tmpdir(), 'specwright-sandbox-'));
  const dir = fs.realpathSync(created);
  trackDir(dir);
  markOwner(dir);
  const codeRoot = path.join(dir, 'ws');
  const exists = (file: string): boolean => files.has(file) || fileExistsOnDisk(workspaceRoot, file);
  const read = (file: string): string => files.get(file) ?? fs.readFileSync(toAbsolute(workspaceRoot, file), 'utf8');
  const readGrants = new Set<string>([dir]);
  const invariants = options.invariantsSource === undefined ? undefined : path.join(dir, 'invariants.cjs');
  if (invariants) fs.writeFileSync(invariants, options.invariantsSource!);
  const nodeModules = path.join(workspaceRoot, 'node_modules');
  if (fs.existsSync(nodeModules)) {
    readGrants.add(nodeModules);
    readGrants.add(fs.realpathSync(nodeModules));
    fs.symlinkSync(nodeModules, path.join(dir, 'node_modules'), 'dir');
  }
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "commonjs", "private": true }\n');

  const sources = new Map<string, string>();
  const queue = [...files.keys()].filter((f) => isCodeFile(f) || f.endsWith('.json'));
  const entries = queue.filter(isCodeFile).map((f) => path.join(codeRoot, ...stagedName(f).split('/')));
  const done = new Set<string>();
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (done.has(file)) continue;
    done.add(file);
    const target = path.join(codeRoot, ...stagedName(file).split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    sources.set(target, file);
    const text = read(file);
    if (file.endsWith('.json')) {
      fs.writeFileSync(target, text);
      continue;
    }
    const output = transpiled(file, text);
    const rewritten = rewriteRequires(output, (specifier) => {
      let resolved: string | undefined;
      if (isRelativeSpecifier(specifier)) {
        resolved = resolveRelative(file, specifier, exists);
      } else if (builtinName(specifier) === undefined) {
        const workspacePackage = resolveWorkspacePackage(workspaceRoot, specifier, exists);
        if (workspacePackage) resolved = workspacePackage.entry;
        else {
          const packageDir = path.join(nodeModules, ...splitPackageSpecifier(specifier)[0].split('/'));
          if (fs.existsSync(packageDir)) readGrants.add(fs.realpathSync(packageDir));
        }
      }
      if (!resolved) return undefined;
      queue.push(resolved);
      let relative = posix.relative(posix.dirname(stagedName(file)), stagedName(resolved));
      if (!relative.startsWith('.')) relative = `./${relative}`;
      return relative;
    });
    fs.writeFileSync(target, rewritten);
  }
  return {
    dir,
    entries,
    sources,
    readGrants: [...readGrants],
    ...(invariants ? { invariants } : {}),
    dispose: async () => {
      await fs.promises.rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    },
  };
}

/**
 * The CommonJS of a module, remembered by name and content for the process: a dependency (a types file, a
 * workspace package) is staged again for every candidate and attempt that reaches it, unchanged. The inline source
 * map names the file by its base name, so that is part of the key. Bounded: the oldest entries go first.
 */
const TRANSPILED = new Map<string, string>();
const TRANSPILED_MAX = 500;

function transpiled(file: string, text: string): string {
  const fileName = posix.basename(file);
  const key = `${fileName}\0${text}`;
  let output = TRANSPILED.get(key);
  if (output === undefined) {
    output = ts.transpileModule(text, { fileName, compilerOptions: STAGE_COMPILER_OPTIONS }).outputText;
    if (TRANSPILED.size >= TRANSPILED_MAX) TRANSPILED.delete(TRANSPILED.keys().next().value!);
    TRANSPILED.set(key, output);
  }
  return output;
}

/** Rewrites the string argument of every `require("…")` call in CommonJS output; `map` returns undefined to keep it. */
function rewriteRequires(code: string, map: (specifier: string) => string | undefined): string {
  const sf = ts.createSourceFile('out.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const edits: Array<[number, number, string]> = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require' &&
      node.arguments.length === 1 &&
      ts.isStringLiteralLike(node.arguments[0]!)
    ) {
      const literal = node.arguments[0] as ts.StringLiteral;
      const replacement = map(literal.text);
      if (replacement !== undefined) edits.push([literal.getStart(sf), literal.end, JSON.stringify(replacement)]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  let out = code;
  for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + text + out.slice(end);
  return out;
}
