/**
 * The safety gate: static checks on the candidate's syntax tree (TypeScript compiler API, no type information), so
 * that code which could escape its sandbox, reach the network or the disk, leak secrets or break purity never gets
 * as far as being run. Every finding names its rule, its position and the fix (or the capability to grant).
 */
import ts from 'typescript';
import type { Capability, Finding, GateVerdict } from '../types';
import { checkForbiddenApis } from './forbid';
import type { Gate, GateInput } from './gate';
import {
  allowedRelativeTargets,
  builtinName,
  fileExistsOnDisk,
  isCodeFile,
  isRelativeSpecifier,
  posix,
  resolveRelative,
  resolveWorkspacePackage,
  stripExtension,
} from './util';

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
  | 'forbidden-api';

export interface SafetyFinding extends Finding {
  rule: SafetyRule;
  file: string;
  line: number;
  column: number;
}

/** Node built-ins that a capability unlocks. `worker_threads`/`cluster` start code outside the sandbox like processes. */
const CAPABILITY_MODULES: Record<string, Capability> = {
  fs: 'fs',
  'fs/promises': 'fs',
  net: 'net',
  http: 'net',
  https: 'net',
  http2: 'net',
  dgram: 'net',
  dns: 'net',
  'dns/promises': 'net',
  tls: 'net',
  child_process: 'child_process',
  worker_threads: 'child_process',
  cluster: 'child_process',
  process: 'env',
  crypto: 'crypto',
  timers: 'timers',
  'timers/promises': 'timers',
};

/** Built-ins no capability grants: they run code from strings, load native code or reach into the runtime. */
const NEVER_MODULES = new Set(['vm', 'v8', 'inspector', 'inspector/promises', 'module', 'repl', 'wasi', 'trace_events']);

const PROCESS_INTERNALS = new Set(['binding', '_linkedBinding', 'dlopen', 'mainModule']);
/** process members that end, signal or reconfigure the process the code runs in: never a generated function's job. */
const PROCESS_CONTROL = new Set(['exit', 'reallyExit', 'abort', 'kill', 'chdir', 'umask', 'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups']);
/** Globals that reach the network without an import. */
const NETWORK_GLOBALS = new Set(['fetch', 'WebSocket', 'XMLHttpRequest', 'EventSource']);
/** Built-in constructors whose prototypes generated code must not patch: every other module would see the change. */
const BUILTIN_CONSTRUCTORS = new Set(['Object', 'Array', 'Function', 'String', 'Number', 'Boolean', 'Symbol', 'Promise', 'Map', 'Set', 'Date', 'RegExp', 'Error', 'JSON', 'Math', 'Reflect']);
const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/\bsk-(?:proj-|live_|test_|ant-)?[A-Za-z0-9_-]{20,}/, 'an API key (sk-…)'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id (AKIA…)'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/, 'a GitHub token'],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
  [/-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----/, 'a private key'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'a JSON Web Token'],
];
const SECRET_NAME_WORDS = new Set([
  'key', 'apikey', 'secret', 'token', 'password', 'passwd', 'pwd', 'passphrase', 'credential', 'credentials', 'auth', 'bearer',
]);

export interface SafetyContext {
  workspaceRoot: string;
  spec: GateInput['spec'];
  specsById: GateInput['specsById'];
  files: ReadonlyMap<string, string>;
}

/** All findings for every code file of the candidate. Pure apart from reading the disk to resolve relative imports. */
export function checkSafety(context: SafetyContext): SafetyFinding[] {
  const findings: SafetyFinding[] = [];
  const policy = new ImportPolicy(context);
  for (const [file, content] of context.files) {
    if (!isCodeFile(file)) continue;
    findings.push(...checkFile(file, content, context, policy));
  }
  return findings;
}

export function createSafetyGate(): Gate {
  return {
    name: 'safety',
    blocking: true,
    async check(input: GateInput): Promise<GateVerdict> {
      const findings = [...checkSafety(input), ...checkForbiddenApis(input.files, input.spec.spec.constraints?.forbid)];
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

class ImportPolicy {
  private readonly relativeTargets: Set<string>;
  private readonly relativeTargetsNoExt: Set<string>;
  private readonly bareAllowed: string[];
  private readonly capabilities: Set<Capability>;
  private readonly dependencyProjects: Set<string>;

  constructor(private readonly context: SafetyContext) {
    const { spec, specsById } = context;
    this.relativeTargets = allowedRelativeTargets(spec, specsById);
    this.capabilities = new Set(spec.spec.constraints?.capabilities ?? []);
    const specDir = posix.dirname(spec.file);
    this.bareAllowed = [];
    for (const entry of spec.spec.constraints?.allowedImports ?? []) {
      if (isRelativeSpecifier(entry)) this.relativeTargets.add(posix.normalize(posix.join(specDir, entry)));
      else this.bareAllowed.push(entry);
    }
    this.relativeTargetsNoExt = new Set([...this.relativeTargets].map(stripExtension));
    this.dependencyProjects = new Set(
      (spec.spec.dependsOn ?? []).map((id) => specsById.get(id)?.projectRoot).filter((root): root is string => !!root),
    );
  }

  private exists = (file: string): boolean =>
    this.context.files.has(file) || this.relativeTargets.has(file) || fileExistsOnDisk(this.context.workspaceRoot, file);

  /** Undefined when the import is fine, else [rule, message]. */
  check(fromFile: string, specifier: string, typeOnly: boolean): [SafetyRule, string] | undefined {
    if (isRelativeSpecifier(specifier) || specifier.startsWith('/')) {
      if (specifier.startsWith('/')) {
        return ['import-not-allowed', `absolute import '${specifier}' is not allowed; import outputs of this spec or its dependsOn specs by a relative path`];
      }
      const resolved = resolveRelative(fromFile, specifier, this.exists);
      const joined = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
      if (resolved && (this.relativeTargets.has(resolved) || this.relativeTargetsNoExt.has(stripExtension(resolved)))) return undefined;
      if (!resolved && this.relativeTargetsNoExt.has(stripExtension(joined))) return undefined;
      return [
        'import-not-allowed',
        `'${specifier}' (${resolved ?? `${joined}, not found`}) is not an output of this spec, of its dependsOn specs or its types file; add the spec that owns it to dependsOn, or '${specifier}' to constraints.allowedImports`,
      ];
    }
    const builtin = builtinName(specifier);
    if (builtin !== undefined) {
      if (typeOnly) return undefined;
      if (NEVER_MODULES.has(builtin)) {
        return ['forbidden-module', `Node built-in '${specifier}' is never allowed in generated code (no capability grants it); implement the logic without it`];
      }
      const capability = CAPABILITY_MODULES[builtin];
      if (capability) {
        if (this.capabilities.has(capability)) return undefined;
        return ['forbidden-module', `import of '${specifier}' needs capability '${capability}'; remove it, or grant '${capability}' in constraints.capabilities`];
      }
      if (this.bareAllowed.some((entry) => entry === specifier || entry === builtin || entry === `node:${builtin}`)) return undefined;
      return ['import-not-allowed', `Node built-in '${specifier}' is not in constraints.allowedImports; remove it or add 'node:${builtin}' to allowedImports`];
    }
    if (this.bareAllowed.some((entry) => specifier === entry || specifier.startsWith(`${entry}/`))) return undefined;
    const workspacePackage = resolveWorkspacePackage(this.context.workspaceRoot, specifier, (f) => fileExistsOnDisk(this.context.workspaceRoot, f));
    if (workspacePackage && this.dependencyProjects.has(workspacePackage.dir)) return undefined;
    return ['import-not-allowed', `package '${specifier}' is not in constraints.allowedImports; remove it or add '${specifier}' to allowedImports`];
  }
}

function checkFile(file: string, content: string, context: SafetyContext, policy: ImportPolicy): SafetyFinding[] {
  const sf = ts.createSourceFile(file, content, ts.ScriptTarget.Latest, true, scriptKind(file));
  const constraints = context.spec.spec.constraints;
  const capabilities = new Set<Capability>(constraints?.capabilities ?? []);
  const pure = constraints?.pure === true;
  const security = constraints?.security === true;
  const findings: SafetyFinding[] = [];
  const seen = new Set<string>();

  const report = (node: ts.Node, rule: SafetyRule, message: string): void => {
    const start = node.getStart(sf);
    const { line, character } = sf.getLineAndCharacterOfPosition(start);
    const key = `${start}:${rule}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push({ rule, file, line: line + 1, column: character + 1, message: `${file}:${line + 1}:${character + 1} [${rule}] ${message}` });
  };

  const checkImport = (node: ts.Node, specifier: string, typeOnly: boolean): void => {
    const problem = policy.check(file, specifier, typeOnly);
    if (problem) report(node, problem[0], problem[1]);
  };

  const moduleLiterals = new Set<ts.Node>();

  // Top-level mutable state in pure code.
  if (pure) {
    for (const statement of sf.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      const flags = statement.declarationList.flags;
      if (flags & ts.NodeFlags.Const || flags & ts.NodeFlags.Using || flags & ts.NodeFlags.AwaitUsing) continue;
      const kind = flags & ts.NodeFlags.Let ? 'let' : 'var';
      const names = statement.declarationList.declarations.map((d) => d.name.getText(sf)).join(', ');
      report(statement, 'pure-no-mutable-state', `top-level '${kind} ${names}' is module-level mutable state in a pure spec; use const, or keep the state inside the function`);
    }
  }

  const visit = (node: ts.Node): void => {
    // Static imports and re-exports.
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      moduleLiterals.add(node.moduleSpecifier);
      checkImport(node.moduleSpecifier, node.moduleSpecifier.text, isTypeOnlyImport(node));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression;
      if (ts.isStringLiteralLike(expression)) {
        moduleLiterals.add(expression);
        checkImport(expression, expression.text, node.isTypeOnly);
      } else report(node, 'no-dynamic-require', 'import = require() with a computed module name; use a static import of an allowed module');
    } else if (ts.isImportTypeNode(node)) {
      // `import('x').T` in a type position is erased: nothing runs.
      return;
    }

    if (ts.isCallExpression(node)) checkCall(node);
    if (ts.isNewExpression(node)) checkNew(node);
    if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && !capabilities.has('net')) checkNetworkGlobal(node);
    if (ts.isBinaryExpression(node) && isAssignmentOperator(node.operatorToken.kind)) checkGlobalMutation(node, node.left);
    if (ts.isPropertyAccessExpression(node)) checkPropertyAccess(node, node.expression, node.name.text);
    if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
      checkPropertyAccess(node, node.expression, node.argumentExpression.text);
    }
    if (ts.isIdentifier(node)) checkIdentifier(node);
    if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer) checkDestructuring(node.name, node.initializer);
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && !moduleLiterals.has(node)) checkString(node, node.text);
    if (ts.isTemplateExpression(node)) {
      checkString(node.head, node.head.text);
      for (const span of node.templateSpans) checkString(span.literal, span.literal.text);
    }
    ts.forEachChild(node, visit);
  };

  const checkCall = (node: ts.CallExpression): void => {
    const callee = skipParens(node.expression);
    const first = node.arguments[0];
    if (callee.kind === ts.SyntaxKind.ImportKeyword) {
      if (first && ts.isStringLiteralLike(first)) {
        moduleLiterals.add(first);
        checkImport(first, first.text, false);
      } else report(node, 'no-dynamic-import', 'import() with a computed module name; use a static import of an allowed module');
      return;
    }
    const isRequire =
      (ts.isIdentifier(callee) && callee.text === 'require') ||
      (ts.isPropertyAccessExpression(callee) && callee.name.text === 'require' && ts.isIdentifier(callee.expression) && callee.expression.text === 'module');
    if (isRequire) {
      if (first && ts.isStringLiteralLike(first) && node.arguments.length === 1) {
        moduleLiterals.add(first);
        checkImport(first, first.text, false);
      } else report(node, 'no-dynamic-require', 'require() with a computed module name; use a static import of an allowed module');
      return;
    }
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'constructor' && node.arguments.length > 0) {
      report(node, 'no-function-constructor', "calling '.constructor(...)' with arguments can build functions from strings (like new Function); call the function directly");
    }
    if (ts.isIdentifier(callee) && ['setTimeout', 'setInterval', 'setImmediate'].includes(callee.text)) {
      if (first && (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first))) {
        report(node, 'no-eval', `${callee.text}() with a string evaluates code like eval; pass a function`);
      }
      if (pure && !capabilities.has('timers')) {
        report(node, 'pure-no-timers', `${callee.text}() schedules work outside the call in a pure spec; compute synchronously, or grant 'timers' in constraints.capabilities`);
      }
    }
    if (pure && ts.isIdentifier(callee) && callee.text === 'Date' && node.arguments.length === 0) {
      report(node, 'pure-no-clock', 'Date() reads the clock in a pure spec; take the time as a parameter');
    }
    if (pure && ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
      const owner = callee.expression.text;
      const method = callee.name.text;
      if ((owner === 'Date' && method === 'now') || (owner === 'performance' && method === 'now')) {
        report(node, 'pure-no-clock', `${owner}.${method}() reads the clock in a pure spec; take the time as a parameter`);
      }
    }
  };

  const checkNetworkGlobal = (node: ts.CallExpression | ts.NewExpression): void => {
    const callee = skipParens(node.expression);
    const name = ts.isIdentifier(callee)
      ? callee.text
      : ts.isPropertyAccessExpression(callee) && isGlobalObject(skipParens(callee.expression))
        ? callee.name.text
        : undefined;
    if (name && NETWORK_GLOBALS.has(name)) {
      report(node, 'no-network', `${name} reaches the network; take the data as a parameter, or grant 'net' in constraints.capabilities`);
    }
  };

  const checkGlobalMutation = (node: ts.Node, target: ts.Expression): void => {
    const left = skipParens(target);
    if (!ts.isPropertyAccessExpression(left) && !ts.isElementAccessExpression(left)) return;
    const owner = skipParens(left.expression);
    if (isGlobalObject(owner)) {
      report(node, 'no-global-mutation', `assigning to ${owner.getText()}.… changes a global every module sees; export the value instead`);
      return;
    }
    // Object.prototype.x = …, Array.prototype[k] = …, String.prototype.x ??= …
    if ((ts.isPropertyAccessExpression(owner) && owner.name.text === 'prototype' && ts.isIdentifier(owner.expression) && BUILTIN_CONSTRUCTORS.has(owner.expression.text)) ||
        (ts.isIdentifier(owner) && BUILTIN_CONSTRUCTORS.has(owner.text))) {
      report(node, 'no-global-mutation', `patching the built-in ${owner.getText()} changes it for every module; write a helper function instead`);
    }
  };

  const checkNew = (node: ts.NewExpression): void => {
    const callee = skipParens(node.expression);
    if (pure && ts.isIdentifier(callee) && callee.text === 'Date' && (!node.arguments || node.arguments.length === 0)) {
      report(node, 'pure-no-clock', 'new Date() without arguments reads the clock in a pure spec; take the time (or a Date) as a parameter');
    }
  };

  const processReference = (expression: ts.Expression): string | undefined => {
    const target = skipParens(expression);
    if (ts.isIdentifier(target) && target.text === 'process') return 'process';
    if (ts.isPropertyAccessExpression(target) && target.name.text === 'process' && isGlobalObject(target.expression)) {
      return `${(skipParens(target.expression) as ts.Identifier).text}.process`;
    }
    return undefined;
  };

  const checkPropertyAccess = (node: ts.Node, expression: ts.Expression, name: string): void => {
    const owner = skipParens(expression);
    const processName = processReference(owner);
    if (processName) {
      if (name === 'env' && !capabilities.has('env')) {
        report(node, 'no-process-env', `${processName}.env reads the environment; take the value as a parameter, or grant 'env' in constraints.capabilities`);
      } else if (PROCESS_INTERNALS.has(name)) {
        report(node, 'no-process-internals', `${processName}.${name} reaches into Node internals and is never allowed; remove it`);
      } else if (PROCESS_CONTROL.has(name)) {
        report(node, 'no-process-control', `${processName}.${name} ends or reconfigures the running process; report problems by throwing an error instead`);
      }
    }
    if (name === 'process' && isGlobalObject(owner) && !capabilities.has('env')) {
      report(node, 'no-process-env', `${(owner as ts.Identifier).text}.process bypasses the process checks; do not reach process through the global object (grant 'env' if the environment is really needed)`);
    }
    if (isGlobalObject(owner) && name === 'eval') report(node, 'no-eval', 'eval evaluates strings as code; compute the value directly');
    if (isGlobalObject(owner) && name === 'Function') {
      report(node, 'no-function-constructor', 'the Function constructor evaluates strings as code; write the function directly');
    }
    if (ts.isIdentifier(owner) && owner.text === 'Math' && name === 'random') {
      if (security) {
        report(node, 'no-math-random', "Math.random is not allowed in security-sensitive code; use crypto.randomInt/getRandomValues (grant 'crypto')");
      } else if (pure && !capabilities.has('random')) {
        report(node, 'no-math-random', "Math.random makes a pure function nondeterministic; take randomness as a parameter, or grant 'random' in constraints.capabilities");
      }
    }
  };

  const checkIdentifier = (node: ts.Identifier): void => {
    if (node.text === 'require' || node.text === 'process') {
      if (!isValueReference(node) || isAccessedOrCalled(node)) return;
      if (node.text === 'require') {
        report(node, 'no-dynamic-require', 'require used as a value hides which modules are loaded; use static imports of allowed modules');
      } else if (!capabilities.has('env')) {
        report(node, 'no-process-env', "passing process around hides its uses (env, binding); use only process.<member> directly, or grant 'env'");
      }
      return;
    }
    if (node.text !== 'eval' && node.text !== 'Function') return;
    if (!isValueReference(node)) return;
    if (node.text === 'eval') report(node, 'no-eval', 'eval evaluates strings as code; compute the value directly');
    else report(node, 'no-function-constructor', 'Function()/new Function() evaluates strings as code; write the function directly');
  };

  const checkDestructuring = (pattern: ts.ObjectBindingPattern, initializer: ts.Expression): void => {
    const processName = processReference(initializer);
    const fromGlobal = isGlobalObject(skipParens(initializer));
    for (const element of pattern.elements) {
      const key = element.propertyName ?? element.name;
      const name = ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : undefined;
      if (!name) continue;
      if (processName && name === 'env' && !capabilities.has('env')) {
        report(element, 'no-process-env', `destructuring env from ${processName} reads the environment; take the value as a parameter, or grant 'env'`);
      }
      if (processName && PROCESS_INTERNALS.has(name)) report(element, 'no-process-internals', `${processName}.${name} reaches into Node internals and is never allowed; remove it`);
      if (fromGlobal && name === 'process' && !capabilities.has('env')) {
        report(element, 'no-process-env', "destructuring process from the global object bypasses the process checks; remove it (grant 'env' if needed)");
      }
      if (fromGlobal && (name === 'eval' || name === 'Function')) report(element, 'no-eval', `destructuring ${name} from the global object evaluates strings as code; remove it`);
    }
  };

  const checkString = (node: ts.Node, text: string): void => {
    for (const [pattern, what] of SECRET_PATTERNS) {
      const match = pattern.exec(text);
      if (match) {
        report(node, 'no-hardcoded-secret', `string literal looks like ${what} (${redact(match[0])}); never hard-code secrets: take it as a parameter (or read process.env with capability 'env')`);
        return;
      }
    }
    const target = assignedName(node);
    if (target && isSecretName(target) && looksLikeToken(text)) {
      report(node, 'no-hardcoded-secret', `'${target}' is assigned a hard-coded high-entropy string (${redact(text)}); never hard-code secrets: take it as a parameter (or read process.env with capability 'env')`);
    }
  };

  visit(sf);
  return findings;
}

function isTypeOnlyImport(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    return !!node.exportClause && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly);
  }
  const clause = node.importClause;
  if (!clause) return false; // side-effect import: runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function skipParens(expression: ts.Expression): ts.Expression {
  let current = expression;
  for (;;) {
    if (ts.isParenthesizedExpression(current)) current = current.expression;
    else if (ts.isBinaryExpression(current) && current.operatorToken.kind === ts.SyntaxKind.CommaToken) current = current.right;
    else if (ts.isAsExpression(current) || ts.isNonNullExpression(current) || ts.isTypeAssertionExpression(current) || ts.isSatisfiesExpression(current)) {
      current = current.expression;
    } else return current;
  }
}

function isGlobalObject(expression: ts.Expression): boolean {
  const target = skipParens(expression);
  return ts.isIdentifier(target) && GLOBAL_OBJECTS.has(target.text);
}

/** `x.y`, `x[y]`, `x(…)`, `typeof x`: uses that the other rules see through (not an alias of `x`). */
function isAccessedOrCalled(node: ts.Identifier): boolean {
  const parent = node.parent;
  if ((ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) && parent.expression === node) return true;
  if (ts.isCallExpression(parent) && parent.expression === node) return true;
  if (ts.isTypeOfExpression(parent)) return true;
  // the object of a destructuring (`const { env } = process`) is checked element by element
  if (ts.isVariableDeclaration(parent) && parent.initializer === node && ts.isObjectBindingPattern(parent.name)) return true;
  return false;
}

/** Whether an identifier is read as a value (not a declaration, property name or type). */
function isValueReference(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (ts.isQualifiedName(parent)) return false;
  if (ts.isTypeReferenceNode(parent) || ts.isTypeQueryNode(parent) || ts.isExpressionWithTypeArguments(parent)) return false;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessor(parent) ||
      ts.isSetAccessor(parent) ||
      ts.isVariableDeclaration(parent) ||
      ts.isParameter(parent) ||
      ts.isFunctionDeclaration(parent) ||
      ts.isFunctionExpression(parent) ||
      ts.isClassDeclaration(parent) ||
      ts.isInterfaceDeclaration(parent) ||
      ts.isTypeAliasDeclaration(parent) ||
      ts.isEnumMember(parent) ||
      ts.isBindingElement(parent) ||
      ts.isImportSpecifier(parent) ||
      ts.isExportSpecifier(parent) ||
      ts.isImportClause(parent) ||
      ts.isNamespaceImport(parent) ||
      ts.isLabeledStatement(parent)) &&
    (parent as { name?: ts.Node }).name === node
  ) {
    return false;
  }
  if (ts.isBindingElement(parent) && parent.propertyName === node) return false;
  if ((ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) && parent.propertyName === node) return false;
  return true;
}

/** The name a string literal is assigned to: `const apiKey = '…'`, `{ token: '…' }`, `x.secret = '…'`, `(pwd = '…')`. */
function assignedName(node: ts.Node): string | undefined {
  const parent = node.parent;
  if (!parent) return undefined;
  const nameOf = (name: ts.Node | undefined): string | undefined =>
    name && (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name)) ? name.text : undefined;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyDeclaration(parent) || ts.isParameter(parent)) && parent.initializer === node) {
    return nameOf(parent.name);
  }
  if (ts.isPropertyAssignment(parent) && parent.initializer === node) return nameOf(parent.name);
  if (ts.isBindingElement(parent) && parent.initializer === node) return nameOf(parent.name);
  if (ts.isBinaryExpression(parent) && parent.right === node && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const left = parent.left;
    if (ts.isIdentifier(left)) return left.text;
    if (ts.isPropertyAccessExpression(left)) return left.name.text;
    if (ts.isElementAccessExpression(left) && ts.isStringLiteralLike(left.argumentExpression)) return left.argumentExpression.text;
  }
  return undefined;
}

function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_\-.$]+/)
    .map((w) => w.toLowerCase())
    .filter(Boolean);
  return words.some((w) => SECRET_NAME_WORDS.has(w));
}

function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** Long, token-shaped (no spaces, mixed character classes) and high-entropy. */
function looksLikeToken(text: string): boolean {
  if (text.length < 16 || text.length > 4096) return false;
  if (!/^[A-Za-z0-9_\-+/=.~]+$/.test(text)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(text)).length;
  if (classes < 2) return false;
  return shannonEntropy(text) >= 3.3;
}

function redact(secret: string): string {
  return secret.length <= 8 ? '…' : `${secret.slice(0, 4)}…${secret.length} chars`;
}

function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}
