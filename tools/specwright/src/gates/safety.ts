/**
 * The safety gate: static checks on the candidate's syntax tree (TypeScript compiler API, no type information), so
 * that code which could escape its sandbox, reach the network or the disk, leak secrets or break purity is sent back
 * before it runs. The rules are advice with good messages; the sandbox is the guarantee. Every finding names its
 * rule, its position and the fix (or the capability to grant). One module per rule under `./safety/rules/`.
 */
import ts from 'typescript';
import type { Capability, GateVerdict } from '../types';
import type { Gate, GateInput } from './gate';
import { ImportPolicy, RULES } from './safety/index';
import { Resolver } from './safety/resolve';
import type { NodeKindName, RuleContext, SafetyContext, SafetyFinding, SafetyRule, SafetyRuleModule } from './safety/rule';
import { isCodeFile } from './util';

export type { SafetyContext, SafetyFinding, SafetyRule, SafetyRuleModule } from './safety/rule';
export { RULES as SAFETY_RULES, defineRule } from './safety/index';

/** All findings for every code file of the candidate. Pure apart from reading the disk to resolve relative imports. */
export function checkSafety(context: SafetyContext, rules: readonly SafetyRuleModule[] = RULES): SafetyFinding[] {
  const findings: SafetyFinding[] = [];
  const imports = new ImportPolicy(context);
  for (const [file, content] of context.files) {
    if (!isCodeFile(file)) continue;
    findings.push(...checkFile(file, content, context, imports, rules));
  }
  return findings;
}

export function createSafetyGate(): Gate {
  return {
    name: 'safety',
    blocking: true,
    async check(input: GateInput): Promise<GateVerdict> {
      const findings = checkSafety(input);
      return { gate: 'safety', ok: findings.length === 0, findings };
    },
  };
}

function scriptKind(file: string): ts.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (/\.(js|mjs|cjs)$/.test(file)) return ts.ScriptKind.JS;
  if (file.endsWith('.jsx')) return ts.ScriptKind.JSX;
  return ts.ScriptKind.TS;
}

type Handler = (node: ts.Node) => void;

function checkFile(file: string, content: string, safety: SafetyContext, imports: ImportPolicy, rules: readonly SafetyRuleModule[]): SafetyFinding[] {
  const sourceFile = ts.createSourceFile(file, content, ts.ScriptTarget.Latest, true, scriptKind(file));
  const constraints = safety.spec.spec.constraints;
  const capabilities = new Set<Capability>(constraints?.capabilities ?? []);
  const findings: SafetyFinding[] = [];
  const seen = new Set<string>();

  const reportAs = (rule: SafetyRule, node: ts.Node, message: string): void => {
    const start = node.getStart(sourceFile);
    const key = `${start}:${rule}`;
    if (seen.has(key)) return;
    seen.add(key);
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(start);
    findings.push({ rule, file, line: line + 1, column: character + 1, message: `${file}:${line + 1}:${character + 1} [${rule}] ${message}` });
  };

  // Each rule's visitor, re-keyed from kind names to kind numbers once per file.
  const handlers = new Map<ts.SyntaxKind, Handler[]>();
  const resolver = new Resolver(sourceFile);
  for (const rule of rules) {
    const context: RuleContext = {
      file,
      sourceFile,
      capabilities,
      pure: constraints?.pure === true,
      security: constraints?.security === true,
      forbid: constraints?.forbid ?? [],
      imports,
      resolver,
      report: (node, message) => reportAs(rule.id, node, message),
      reportAs,
    };
    const visitor = rule.create(context);
    for (const name of Object.keys(visitor) as NodeKindName[]) {
      const handler = visitor[name];
      if (!handler) continue;
      const kind = ts.SyntaxKind[name];
      handlers.set(kind, [...(handlers.get(kind) ?? []), handler]);
    }
  }

  const visit = (node: ts.Node): void => {
    // `import('x').T` in a type position is erased: nothing runs.
    if (ts.isImportTypeNode(node)) return;
    for (const handler of handlers.get(node.kind) ?? []) handler(node);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return findings;
}
