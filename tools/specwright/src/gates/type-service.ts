/**
 * One TypeScript LanguageService over the workspace, shared by a gate session (the types gate, checkExports and
 * the contract checks use it). Its own module so the session's context can hold it without depending on any gate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import type { ExportSpec, Finding } from '../types';
import { HeapBudget, type HeapBudgetOptions } from './heap-budget';
import { isTypeScriptFile, sha256 } from './util';

/**
 * What a type check needs of a spec (all of it crosses to the type-check worker process, so plain data): the files
 * to check in place of the disk, its tests and the exports it names.
 */
export interface TypecheckSubject {
  /** Real path (TypeScript follows symlinks to real paths). */
  workspaceRoot: string;
  files: ReadonlyMap<string, string>;
  spec: { testFiles: readonly string[]; spec: { id: string; exports: readonly ExportSpec[] } };
}

/** Type checks, wherever the TypeScript programs live (type-worker.ts: in a process of their own). */
export interface TypeChecks {
  /** The findings of one spec checked alone. */
  check(subject: TypecheckSubject): Promise<Finding[]>;
  /** The findings of each spec of one project checked in one program, by spec id; undefined: check each alone. */
  checkTogether(subjects: readonly TypecheckSubject[]): Promise<Map<string, Finding[]> | undefined>;
}

export interface TypecheckResult {
  findings: Finding[];
  /** Files the program was built from (absolute), for diagnostics of the service itself. */
  rootFiles: string[];
}

/** Ignored when reading tsconfig.base.json without inputs: "no inputs" / "files list is empty". */
const CONFIG_INPUT_ERRORS = new Set([18002, 18003]);

/**
 * One TypeScript LanguageService over the workspace. `typecheck` is synchronous from override to diagnostics, so
 * concurrent gate calls cannot see each other's candidate.
 */
export class WorkspaceTypeService {
  readonly options: ts.CompilerOptions;
  readonly configFindings: Finding[] = [];
  private readonly service: ts.LanguageService;
  private readonly overrides = new Map<string, { content: string; version: string }>();
  private rootFiles: string[] = [];
  private projectVersion = 0;
  private invalidateResolutions = false;
  private readonly stableVersions = new Map<string, string>();
  private readonly libDirectory: string;
  /** Each check leaves the previous program's checker behind as garbage: collected past a budget (heap-budget.ts). */
  readonly heap: HeapBudget;

  readonly workspaceRoot: string;

  constructor(workspaceRoot: string, options: { heap?: HeapBudgetOptions } = {}) {
    this.heap = new HeapBudget(options.heap);
    this.workspaceRoot = realpathOr(workspaceRoot);
    workspaceRoot = this.workspaceRoot;
    this.options = this.readCompilerOptions();
    this.libDirectory = path.dirname(ts.getDefaultLibFilePath(this.options));
    const host: ts.LanguageServiceHost & { hasInvalidatedResolutions(filePath: ts.Path): boolean } = {
      getCompilationSettings: () => this.options,
      getProjectVersion: () => String(this.projectVersion),
      getScriptFileNames: () => this.rootFiles,
      getScriptVersion: (fileName) => this.versionOf(fileName),
      getScriptSnapshot: (fileName) => {
        const text = this.read(fileName);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => workspaceRoot,
      getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
      fileExists: (fileName) => this.overrides.has(path.resolve(fileName)) || ts.sys.fileExists(fileName),
      readFile: (fileName) => this.read(fileName),
      readDirectory: (...args) => ts.sys.readDirectory(...args),
      directoryExists: (dir) => ts.sys.directoryExists(dir) || [...this.overrides.keys()].some((f) => f.startsWith(path.resolve(dir) + path.sep)),
      getDirectories: (dir) => ts.sys.getDirectories(dir),
      realpath: (p) => (this.overrides.has(path.resolve(p)) ? p : (ts.sys.realpath?.(p) ?? p)),
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
      hasInvalidatedResolutions: () => this.invalidateResolutions,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  private readCompilerOptions(): ts.CompilerOptions {
    const configPath = path.join(this.workspaceRoot, 'tsconfig.base.json');
    const fallback: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      skipLibCheck: true,
    };
    if (!fs.existsSync(configPath)) {
      // Not a defect of the candidate: a workspace without tsconfig.base.json (a fresh `nx add`) typechecks with
      // the strict defaults above.
      return { ...fallback, noEmit: true };
    }
    const read = ts.readConfigFile(configPath, ts.sys.readFile);
    if (read.error) {
      this.configFindings.push({ message: `tsconfig.base.json: ${ts.flattenDiagnosticMessageText(read.error.messageText, ' ')}` });
      return { ...fallback, noEmit: true };
    }
    // Only the compiler options matter: the roots are the candidate and its tests, so no file scan.
    const config = { ...(read.config as Record<string, unknown>), files: [], include: [] };
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, this.workspaceRoot, undefined, configPath);
    for (const error of parsed.errors) {
      if (CONFIG_INPUT_ERRORS.has(error.code)) continue;
      this.configFindings.push({ message: `tsconfig.base.json TS${error.code} ${ts.flattenDiagnosticMessageText(error.messageText, ' ')}` });
    }
    return { ...parsed.options, noEmit: true, declaration: false, composite: false, incremental: false };
  }

  private read(fileName: string): string | undefined {
    const override = this.overrides.get(path.resolve(fileName));
    if (override) return override.content;
    return ts.sys.readFile(fileName);
  }

  private versionOf(fileName: string): string {
    const absolute = path.resolve(fileName);
    const override = this.overrides.get(absolute);
    if (override) return override.version;
    const stable = this.stableVersions.get(absolute);
    if (stable) return stable;
    if (absolute.startsWith(this.libDirectory) || absolute.split(path.sep).includes('node_modules')) {
      // Libraries do not change during a run.
      this.stableVersions.set(absolute, 'lib');
      return 'lib';
    }
    try {
      const stat = fs.statSync(absolute);
      return `disk:${stat.mtimeMs}:${stat.size}`;
    } catch {
      return 'missing';
    }
  }

  /**
   * Typechecks `files` (absolute path → content, overriding the disk) together with `extraRoots` (absolute, e.g. the
   * spec's tests). Returns the program for further questions, valid until the next call.
   */
  typecheck(files: ReadonlyMap<string, string>, extraRoots: readonly string[]): { program: ts.Program; diagnostics: ts.Diagnostic[] } {
    this.overrides.clear();
    for (const [file, content] of files) this.overrides.set(path.resolve(file), { content, version: `cand:${sha256(content).slice(0, 16)}` });
    this.rootFiles = [...[...files.keys()].filter(isTypeScriptFile), ...extraRoots].map((f) => path.resolve(f));
    this.projectVersion++;
    this.invalidateResolutions = true;
    let program: ts.Program | undefined;
    try {
      program = this.service.getProgram();
    } finally {
      this.invalidateResolutions = false;
    }
    if (!program) throw new Error('TypeScript language service produced no program');
    const diagnostics: ts.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    for (const root of this.rootFiles) {
      diagnostics.push(...this.service.getSyntacticDiagnostics(root), ...this.service.getSemanticDiagnostics(root));
    }
    return { program, diagnostics };
  }

  /** Forget the last candidate (so the next spec sees the disk again), and bound the garbage its check left. */
  reset(): void {
    this.overrides.clear();
    this.rootFiles = [];
    this.projectVersion++;
    this.heap.settle();
  }

  dispose(): void {
    this.service.dispose();
  }
}

export function realpathOr(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}
