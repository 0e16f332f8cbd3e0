/**
 * The types gate: typechecks the candidate against the workspace with one TypeScript LanguageService per session,
 * held by the session's type-check process (type-worker.ts); this module is both the gate (in the gate process) and
 * the checks the process runs (checkAlone; types-batch.ts for verify-spec's projects). The candidate's files
 * override the disk content of their paths in the service host (nothing is written); file versions change with
 * content, so the service re-checks only what changed between specs and attempts.
 */
import * as fs from 'node:fs';
import ts from 'typescript';
import type { Finding, GateVerdict } from '../types';
import type { Gate, GateInput } from './gate';
import { realpathOr, WorkspaceTypeService, type TypeChecks, type TypecheckSubject } from './type-service';
import { isTypeScriptFile, oneLine, toAbsolute, toWorkspaceRelative } from './util';

export { WorkspaceTypeService, type TypecheckResult } from './type-service';

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
export function checkExports(input: TypecheckSubject, program: ts.Program): Finding[] {
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
function suppressionFindings(input: TypecheckSubject): Finding[] {
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

/** What one spec brings to a type check: its candidate (absolute path → content) and its tests as extra roots. */
export interface SpecTypecheckRoots {
  candidate: Map<string, string>;
  testRoots: string[];
  /** Declared test files that do not exist. */
  findings: Finding[];
}

export function typecheckRootsOf(input: TypecheckSubject): SpecTypecheckRoots {
  const candidate = new Map<string, string>();
  for (const [file, content] of input.files) candidate.set(toAbsolute(input.workspaceRoot, file), content);
  const testRoots: string[] = [];
  const findings: Finding[] = [];
  for (const test of input.spec.testFiles ?? []) {
    const absolute = toAbsolute(input.workspaceRoot, test);
    if (candidate.has(absolute)) continue;
    if (!fs.existsSync(absolute)) {
      findings.push({ file: test, message: `${test}: test file declared by the spec does not exist` });
      continue;
    }
    if (isTypeScriptFile(test)) testRoots.push(absolute);
  }
  return { candidate, testRoots, findings };
}

/**
 * The spec's findings from a program that holds its roots: the errors among `diagnostics` (once each), exports that
 * do not match the spec, and suppression comments. Synchronous: the program is valid only until the next check.
 */
export function typeFindings(input: TypecheckSubject, program: ts.Program, diagnostics: readonly ts.Diagnostic[]): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const diagnostic of diagnostics) {
    if (diagnostic.category !== ts.DiagnosticCategory.Error) continue;
    const finding = formatDiagnostic(input.workspaceRoot, diagnostic);
    if (seen.has(finding.message)) continue;
    seen.add(finding.message);
    findings.push(finding);
  }
  findings.push(...checkExports(input, program), ...suppressionFindings(input));
  return findings;
}

/** One spec checked alone in `service` (in the process that holds the programs). */
export function checkAlone(service: WorkspaceTypeService, subject: TypecheckSubject): Finding[] {
  const { candidate, testRoots, findings: missingTests } = typecheckRootsOf(subject);
  const findings: Finding[] = [...service.configFindings, ...missingTests];
  try {
    const { program, diagnostics } = service.typecheck(candidate, testRoots);
    findings.push(...typeFindings(subject, program, diagnostics));
  } finally {
    service.reset();
  }
  return findings;
}

/** The plain data of `input` a type check needs (see TypecheckSubject). */
export function typecheckSubjectOf(input: Pick<GateInput, 'workspaceRoot' | 'spec' | 'files'>): TypecheckSubject {
  // Compare paths in one form: TypeScript follows symlinks (workspace packages in node_modules) to real paths.
  const { testFiles, spec } = input.spec;
  return { workspaceRoot: realpathOr(input.workspaceRoot), files: input.files, spec: { testFiles, spec: { id: spec.id, exports: spec.exports } } };
}

export function createTypesGate(checks: () => TypeChecks): Gate {
  return {
    name: 'types',
    blocking: true,
    async check(input: GateInput): Promise<GateVerdict> {
      const findings = (await input.typesBatch?.findingsFor(input, checks())) ?? (await checks().check(typecheckSubjectOf(input)));
      return { gate: 'types', ok: findings.length === 0, findings };
    },
  };
}
