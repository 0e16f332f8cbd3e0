/**
 * The types gate: typechecks the candidate against the workspace with one TypeScript LanguageService per session.
 * The candidate's files override the disk content of their paths in the service host (nothing is written); file
 * versions change with content, so the service re-checks only what changed between specs and attempts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import type { Finding, GateVerdict } from '../types';
import type { Gate, GateInput } from './gate';
import { isTypeScriptFile, oneLine, sha256, toAbsolute, toWorkspaceRelative } from './util';

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

  readonly workspaceRoot: string;

  constructor(workspaceRoot: string) {
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

  /** Forget the last candidate (so the next spec sees the disk again). */
  reset(): void {
    this.overrides.clear();
    this.rootFiles = [];
    this.projectVersion++;
  }

  dispose(): void {
    this.service.dispose();
  }
}

export function formatDiagnostic(workspaceRoot: string, diagnostic: ts.Diagnostic): Finding {
  const text = oneLine(ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '), 600);
  if (diagnostic.file && diagnostic.start !== undefined) {
    const file = toWorkspaceRelative(workspaceRoot, diagnostic.file.fileName);
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return { file, line: line + 1, column: character + 1, message: `${file}:${line + 1}:${character + 1} TS${diagnostic.code} ${text}` };
  }
  return { message: `TS${diagnostic.code} ${text}` };
}

/** Checks that each `spec.exports` name is exported by a candidate file and is callable. */
export function checkExports(input: GateInput, program: ts.Program): Finding[] {
  const checker = program.getTypeChecker();
  const found = new Map<string, { symbol: ts.Symbol; file: ts.SourceFile }>();
  const allExported: string[] = [];
  for (const file of input.files.keys()) {
    if (!isTypeScriptFile(file)) continue;
    const sourceFile = program.getSourceFile(toAbsolute(input.workspaceRoot, file));
    if (!sourceFile) continue;
    const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
    if (!moduleSymbol) continue;
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      allExported.push(symbol.name);
      if (!found.has(symbol.name)) found.set(symbol.name, { symbol, file: sourceFile });
    }
  }
  const findings: Finding[] = [];
  const outputs = [...input.files.keys()].join(', ');
  for (const exported of input.spec.spec.exports) {
    const entry = found.get(exported.name);
    if (!entry) {
      findings.push({
        message: `export '${exported.name}' named in the spec is not exported by ${outputs} (exports found: ${allExported.length ? allExported.join(', ') : 'none'}); add \`export function ${exported.name}(…)\``,
      });
      continue;
    }
    let symbol = entry.symbol;
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
    const position = declaration ? location(input.workspaceRoot, declaration) : undefined;
    if (!(symbol.flags & ts.SymbolFlags.Value)) {
      findings.push({ ...position, message: `${position?.prefix ?? ''}export '${exported.name}' is only a type; the spec needs a function` });
      continue;
    }
    const type = checker.getTypeOfSymbolAtLocation(symbol, declaration ?? entry.file);
    const signatures = type.getCallSignatures();
    if (signatures.length === 0) {
      findings.push({ ...position, message: `${position?.prefix ?? ''}export '${exported.name}' is not a function (its type is ${checker.typeToString(type)}); the spec needs a function` });
      continue;
    }
    const declared = exported.params.length;
    const fits = signatures.some((signature) => {
      const required = signature.parameters.filter((p) => {
        const decl = p.valueDeclaration;
        return decl && ts.isParameter(decl) && !decl.questionToken && !decl.initializer && !decl.dotDotDotToken;
      }).length;
      const rest = signature.parameters.some((p) => {
        const decl = p.valueDeclaration;
        return decl && ts.isParameter(decl) && !!decl.dotDotDotToken;
      });
      return required <= declared && (rest || signature.parameters.length >= declared);
    });
    if (!fits) {
      findings.push({
        ...position,
        message: `${position?.prefix ?? ''}export '${exported.name}' has signature ${checker.signatureToString(signatures[0]!)} but the spec declares ${declared} parameter(s): ${exported.params.map((p) => p.name).join(', ') || '(none)'}`,
      });
    }
  }
  return findings;
}

function location(workspaceRoot: string, node: ts.Node): Finding & { prefix: string } {
  const sourceFile = node.getSourceFile();
  const file = toWorkspaceRelative(workspaceRoot, sourceFile.fileName);
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  return { message: '', file, line: line + 1, column: character + 1, prefix: `${file}:${line + 1}:${character + 1} ` };
}

/** `// @ts-nocheck`, `@ts-ignore` and `@ts-expect-error` hide errors instead of fixing them. */
function suppressionFindings(input: GateInput): Finding[] {
  const findings: Finding[] = [];
  for (const [file, content] of input.files) {
    if (!isTypeScriptFile(file)) continue;
    const lines = content.split('\n');
    lines.forEach((text, index) => {
      const match = /\/[/*]\s*(@ts-nocheck|@ts-ignore|@ts-expect-error)\b/.exec(text);
      if (match) {
        findings.push({
          file,
          line: index + 1,
          column: match.index + 1,
          message: `${file}:${index + 1}:${match.index + 1} ${match[1]} is not allowed in generated code; fix the type error instead of suppressing it`,
        });
      }
    });
  }
  return findings;
}

function realpathOr(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

export function createTypesGate(service: () => WorkspaceTypeService): Gate {
  return {
    name: 'types',
    blocking: true,
    async check(given: GateInput): Promise<GateVerdict> {
      // Compare paths in one form: TypeScript follows symlinks (workspace packages in node_modules) to real paths.
      const input = { ...given, workspaceRoot: realpathOr(given.workspaceRoot) };
      const ts$ = service();
      const findings: Finding[] = [...ts$.configFindings];
      const candidate = new Map<string, string>();
      for (const [file, content] of input.files) candidate.set(toAbsolute(input.workspaceRoot, file), content);
      const testRoots: string[] = [];
      for (const test of input.spec.testFiles ?? []) {
        const absolute = toAbsolute(input.workspaceRoot, test);
        if (candidate.has(absolute)) continue;
        if (!fs.existsSync(absolute)) {
          findings.push({ file: test, message: `${test}: test file declared by the spec does not exist` });
          continue;
        }
        if (isTypeScriptFile(test)) testRoots.push(absolute);
      }
      try {
        const { program, diagnostics } = ts$.typecheck(candidate, testRoots);
        const seen = new Set<string>();
        for (const diagnostic of diagnostics) {
          if (diagnostic.category !== ts.DiagnosticCategory.Error) continue;
          const finding = formatDiagnostic(input.workspaceRoot, diagnostic);
          if (seen.has(finding.message)) continue;
          seen.add(finding.message);
          findings.push(finding);
        }
        findings.push(...checkExports(input, program), ...suppressionFindings(input));
      } finally {
        ts$.reset();
      }
      return { gate: 'types', ok: findings.length === 0, findings };
    },
  };
}
