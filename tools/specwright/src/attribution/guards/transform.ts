import { readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';
import { ContractResolver } from '../../contracts';
import { sha256 } from '../../fs-utils';
import { readLock } from '../../lock';
import { owningProjectRoot, projectNameOf } from '../../discover';
import { parseSpec } from '../../parse';
import type { JsonSchema } from '../../types';
import { parseGeneratedHeader } from '../provenance';

/**
 * The build-time half of the contract guards (runs in vitest's Node process, only when SPECWRIGHT_GUARDS=1): a
 * generated module's exported functions are re-exported through `guardExport`, which checks each call against the
 * spec's resolved contracts. The original declarations stay where they are — only the `export` keyword is blanked
 * (same length), so every line and column of the file is unchanged and stack traces keep pointing at the real code.
 * Calls inside the module (recursion, helpers) are not guarded: only calls that cross the module's boundary are.
 */

export interface GuardedExport {
  params: { name: string; schema: JsonSchema }[];
  returns: JsonSchema;
  throws: string[];
  /** The spec's examples of this export: a call with the same arguments must give the same result. */
  examples: { args: unknown[]; expect?: unknown; throws?: string }[];
}

export interface GuardContract {
  specId: string;
  /** Workspace-relative. */
  specFile: string;
  /** Workspace-relative generated file. */
  file: string;
  /** Absolute, to recognise the file in stack frames of the test process. */
  absoluteFile: string;
  workspaceRoot: string;
  /** The content under test against the lock: reviewed, generated but unreviewed, or edited by hand (drifted). */
  content: 'reviewed' | 'unreviewed' | 'drifted' | 'unrecorded';
  exports: Record<string, GuardedExport>;
}

const resolvers = new Map<string, ContractResolver>();

/** The spec behind a generated file, with its contracts resolved; `undefined` for files without the header. */
export function contractFor(workspaceRoot: string, absoluteFile: string, code: string): GuardContract | undefined {
  const header = parseGeneratedHeader(code.slice(0, code.indexOf('\n') >>> 0));
  if (!header) return undefined;
  const file = relative(workspaceRoot, absoluteFile).split(sep).join('/');
  if (file.startsWith('..')) return undefined;
  const projectRoot = owningProjectRoot(workspaceRoot, file);
  const specFile = projectRoot === '.' ? header.specPath : posix.join(projectRoot, header.specPath);
  const source = readFileSync(join(workspaceRoot, specFile), 'utf8');
  const parsed = parseSpec(source, { file: specFile, projectRoot, project: projectNameOf(workspaceRoot, projectRoot) });
  let resolver = resolvers.get(workspaceRoot);
  if (!resolver) {
    resolver = new ContractResolver(workspaceRoot);
    resolvers.set(workspaceRoot, resolver);
  }
  const resolved = resolver.resolve(parsed);
  const exports: Record<string, GuardedExport> = {};
  for (const entry of parsed.spec.exports) {
    exports[entry.name] = {
      params: entry.params.map((param) => ({ name: param.name, schema: resolved.contracts[`${entry.name}.params.${param.name}`] as JsonSchema })),
      returns: resolved.contracts[`${entry.name}.returns`] as JsonSchema,
      throws: entry.throws,
      examples: parsed.spec.examples
        .filter((example) => example.export === entry.name)
        .map((example) => ({ args: example.args, ...('expect' in example ? { expect: example.expect } : {}), ...(example.throws ? { throws: example.throws } : {}) })),
    };
  }
  return { specId: parsed.spec.id, specFile, file, absoluteFile, workspaceRoot, content: contentState(workspaceRoot, projectRoot, parsed.spec.id, file, code), exports };
}

function contentState(workspaceRoot: string, projectRoot: string, specId: string, file: string, code: string): GuardContract['content'] {
  let output;
  try {
    output = readLock(workspaceRoot, projectRoot).specs[specId]?.outputs[projectRoot === '.' ? file : posix.relative(projectRoot, file)];
  } catch {
    return 'unrecorded';
  }
  if (!output) return 'unrecorded';
  if (sha256(code) !== output.hash) return 'drifted';
  return output.review?.hash === output.hash ? 'reviewed' : 'unreviewed';
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function hasExportModifier(node: ts.Node): ts.Modifier | undefined {
  const modifiers = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
  if (!modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return undefined;
  if (modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword || m.kind === ts.SyntaxKind.DeclareKeyword)) return undefined;
  return modifiers.find((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** Same text length, newlines kept: positions after the edit do not move. */
function blank(text: string): string {
  return text.replace(/[^\n]/g, ' ');
}

/**
 * Rewrites a generated module so that the spec's exports go through the guard runtime. Returns `undefined` when
 * the module exports none of them (nothing to guard).
 */
export function guardSource(code: string, contract: GuardContract, runtimeModule: string): string | undefined {
  const sourceFile = ts.createSourceFile(contract.absoluteFile, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const wanted = new Set(Object.keys(contract.exports));
  const guarded: string[] = [];
  const edits: Edit[] = [];
  const reExported: string[] = [];
  for (const statement of sourceFile.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name && wanted.has(statement.name.text) && statement.body) {
      const modifier = hasExportModifier(statement);
      if (!modifier) continue;
      edits.push({ start: modifier.getStart(sourceFile), end: modifier.getEnd(), text: blank(modifier.getText(sourceFile)) });
      guarded.push(statement.name.text);
    } else if (ts.isVariableStatement(statement)) {
      const modifier = hasExportModifier(statement);
      if (!modifier) continue;
      const names = statement.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
      const mine = names.filter((name) => wanted.has(name));
      if (mine.length === 0) continue;
      edits.push({ start: modifier.getStart(sourceFile), end: modifier.getEnd(), text: blank(modifier.getText(sourceFile)) });
      guarded.push(...mine);
      reExported.push(...names.filter((name) => !wanted.has(name)));
    } else if (ts.isExportDeclaration(statement) && !statement.moduleSpecifier && !statement.isTypeOnly && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      const keep: string[] = [];
      let changed = false;
      for (const element of statement.exportClause.elements) {
        const exported = element.name.text;
        const local = (element.propertyName ?? element.name).text;
        if (wanted.has(exported) && !element.isTypeOnly) {
          changed = true;
          guarded.push(exported);
          if (local !== exported) edits.push({ start: code.length, end: code.length, text: `\nconst ${exported} = ${local};` });
        } else {
          keep.push(element.getText(sourceFile));
        }
      }
      if (!changed) continue;
      const original = statement.getText(sourceFile);
      const replacement = keep.length ? `export { ${keep.join(', ')} };` : '';
      const lines = original.split('\n').length;
      edits.push({ start: statement.getStart(sourceFile), end: statement.getEnd(), text: `${replacement}${'\n'.repeat(lines - 1)}` });
    }
  }
  if (guarded.length === 0) return undefined;
  edits.sort((a, b) => b.start - a.start);
  let out = code;
  for (const edit of edits) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  const unique = [...new Set(guarded)];
  const tail = [
    '',
    '// Specwright contract guards (SPECWRIGHT_GUARDS=1): added in memory by the test run, never written to disk.',
    `import { guardExport as __specwrightGuard, registerGeneratedModule as __specwrightRegister } from ${JSON.stringify(runtimeModule)};`,
    `const __specwrightContract = ${JSON.stringify(contract)};`,
    '__specwrightRegister(__specwrightContract);',
    ...unique.map((name) => `const __specwrightGuarded_${name} = __specwrightGuard(__specwrightContract, ${JSON.stringify(name)}, ${name});`),
    `export { ${[...unique.map((name) => `__specwrightGuarded_${name} as ${name}`), ...reExported].join(', ')} };`,
    '',
  ];
  return `${out}\n${tail.join('\n')}`;
}
