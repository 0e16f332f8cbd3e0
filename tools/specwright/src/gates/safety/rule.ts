/**
 * What a safety rule is: an id, a one-line description, and `create(context)` returning a visitor keyed by syntax
 * kind (typescript-eslint style). The gate walks each candidate file once and calls every rule's handler for the
 * node kinds it asked for; a rule reports through `context.report(node, message)`, which adds its id and position.
 */
import type ts from 'typescript';
import type { Capability, Finding } from '../../types';
import type { GateInput } from '../gate';
import type { Resolver } from './resolve';

export type SafetyRule =
  | 'no-eval'
  | 'no-function-constructor'
  | 'no-dynamic-require'
  | 'no-dynamic-import'
  | 'forbidden-module'
  | 'import-not-allowed'
  | 'no-process-env'
  | 'no-process-internals'
  | 'no-hardcoded-secret'
  | 'no-math-random'
  | 'pure-no-clock'
  | 'pure-no-timers'
  | 'pure-no-mutable-state'
  | 'no-network'
  | 'no-process-control'
  | 'no-global-mutation'
  | 'no-computed-global-access'
  | 'no-module-loader'
  | 'no-foreign-mutation'
  | 'forbidden-api';

export interface SafetyFinding extends Finding {
  rule: SafetyRule;
  file: string;
  line: number;
  column: number;
}

export interface SafetyContext {
  workspaceRoot: string;
  spec: GateInput['spec'];
  specsById: GateInput['specsById'];
  files: ReadonlyMap<string, string>;
}

/** Per file and per rule: what a rule may look at, and how it reports. */
export interface RuleContext {
  readonly file: string;
  readonly sourceFile: ts.SourceFile;
  readonly capabilities: ReadonlySet<Capability>;
  /** `constraints.pure` of the spec. */
  readonly pure: boolean;
  /** `constraints.security` of the spec. */
  readonly security: boolean;
  /** `constraints.forbid` of the spec (empty when unset). */
  readonly forbid: readonly string[];
  readonly imports: ImportChecker;
  /** What expressions refer to through aliases, computed names, Reflect and module loads (see resolve.ts). */
  readonly resolver: Resolver;
  report(node: ts.Node, message: string): void;
  /** Report under another rule id (for rules that share one analysis, like the import policy). */
  reportAs(rule: SafetyRule, node: ts.Node, message: string): void;
}

/** A syntax kind by name, as in `ts.SyntaxKind` ('CallExpression', 'Identifier', …). */
export type NodeKindName = keyof typeof ts.SyntaxKind;

/** Handlers by syntax kind name; `SourceFile` is called once per file before its children. */
export type RuleVisitor = Partial<Record<NodeKindName, (node: ts.Node) => void>>;

export interface SafetyRuleModule {
  readonly id: SafetyRule;
  /** What the rule protects against, for docs and `--help`-style listings. */
  readonly description: string;
  create(context: RuleContext): RuleVisitor;
}

/** typescript-eslint style helper: a rule is just its definition, typed. */
export function defineRule(rule: SafetyRuleModule): SafetyRuleModule {
  return rule;
}

/**
 * What rules ask of the import policy: whether one import is allowed (undefined) or which rule it breaks and why.
 * import-policy.ts implements it; declared here so that rule.ts and import-policy.ts do not import each other.
 */
export interface ImportChecker {
  check(fromFile: string, specifier: string, typeOnly: boolean): ['forbidden-module' | 'import-not-allowed', string] | undefined;
}
