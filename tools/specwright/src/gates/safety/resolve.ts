/**
 * What an expression refers to, seen through the indirection hostile code uses to hide it: aliases
 * (`const g = globalThis`), computed names built from strings (`g['ev' + 'al']`, `['node', 'http'].join(':')`),
 * `Reflect.get`, destructuring, `.bind/.call`, constructor chains (`(() => 0).constructor` is Function) and module
 * loads (`process.getBuiltinModule('fs')`, `require('child_' + 'process')`).
 *
 * A reference resolves to one or more paths: `['eval']`, `['process', 'env']`, `['module:fs', 'readFileSync']`,
 * `['Function']`. The global object in any spelling is `['globalThis']`, and `globalThis.X` is `['X']`. A key that
 * cannot be known statically is `'*'`. Names declared in the file are local (not globals) unless they are bound to
 * something that resolves. This is syntax only, per file, and deliberately over-approximates (a name declared twice
 * takes all of its values): a finding here is advice, the sandbox is the guarantee.
 */
import ts from 'typescript';
import { GLOBAL_OBJECTS, skipParens } from './ast';

export type Path = readonly string[];

/** Any key on these roots, if not known statically, hides what is used. */
export const SENSITIVE_ROOTS = new Set(['globalThis', 'process', 'Reflect', 'module', 'require', 'Function', 'Object']);

const MAX_DEPTH = 12;

function isFunctionLike(node: ts.Node): boolean {
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isClassExpression(node) || ts.isClassDeclaration(node);
}

export class Resolver {
  /** Every declaration of a name in the file (any scope): the values it may hold. */
  private readonly bindings = new Map<string, ts.Node[]>();
  private readonly memo = new Map<ts.Node, Path[]>();

  constructor(readonly sourceFile: ts.SourceFile) {
    const add = (name: string, value: ts.Node): void => {
      this.bindings.set(name, [...(this.bindings.get(name) ?? []), value]);
    };
    const bindPattern = (pattern: ts.BindingName, source: ts.Node | undefined): void => {
      if (ts.isIdentifier(pattern)) {
        add(pattern.text, source ?? pattern);
        return;
      }
      for (const element of pattern.elements) {
        if (ts.isOmittedExpression(element)) continue;
        // `const { a: b } = x` binds b to x.a: recorded as the element, resolved against its pattern's source
        bindPattern(element.name, element);
      }
    };
    const visit = (node: ts.Node): void => {
      if (ts.isVariableDeclaration(node)) bindPattern(node.name, ts.isIdentifier(node.name) ? node.initializer ?? node : node);
      else if (ts.isParameter(node)) bindPattern(node.name, node);
      else if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && node.name) add(node.name.text, node);
      else if ((ts.isFunctionExpression(node) || ts.isClassExpression(node)) && node.name) add(node.name.text, node);
      else if (ts.isImportClause(node) && node.name) add(node.name.text, node);
      else if (ts.isNamespaceImport(node) || ts.isImportSpecifier(node) || ts.isImportEqualsDeclaration(node)) add(node.name.text, node);
      else if (ts.isEnumDeclaration(node) || ts.isModuleDeclaration(node)) {
        if (ts.isIdentifier(node.name)) add(node.name.text, node);
      } else if (ts.isCatchClause(node) && node.variableDeclaration) bindPattern(node.variableDeclaration.name, node.variableDeclaration);
      else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(skipParens(node.left))) {
        // a later `x = eval` makes x an alias too
        add((skipParens(node.left) as ts.Identifier).text, node.right);
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }

  /** Whether `name` is declared anywhere in this file (so a reference to it is not the global of that name). */
  isDeclared(name: string): boolean {
    return this.bindings.has(name);
  }

  /** The values a name declared in this file may hold. */
  declarations(name: string): readonly ts.Node[] {
    return this.bindings.get(name) ?? [];
  }

  /** The string an expression always evaluates to, when that can be known from the syntax. */
  staticString(expression: ts.Expression, depth = 0): string | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const node = skipParens(expression);
    if (ts.isStringLiteralLike(node)) return node.text;
    if (ts.isNumericLiteral(node)) return String(Number(node.text));
    if (ts.isTemplateExpression(node)) {
      let out = node.head.text;
      for (const span of node.templateSpans) {
        const part = this.staticString(span.expression, depth + 1);
        if (part === undefined) return undefined;
        out += part + span.literal.text;
      }
      return out;
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const left = this.staticString(node.left, depth + 1);
      const right = left === undefined ? undefined : this.staticString(node.right, depth + 1);
      return left !== undefined && right !== undefined ? left + right : undefined;
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const target = skipParens(node.expression.expression);
      if (method === 'join' && ts.isArrayLiteralExpression(target)) {
        const parts = target.elements.map((element) => this.staticString(element, depth + 1));
        const separator = node.arguments[0] ? this.staticString(node.arguments[0], depth + 1) : ',';
        if (separator === undefined || parts.some((part) => part === undefined)) return undefined;
        return parts.join(separator);
      }
      if (method === 'concat') {
        const base = this.staticString(target, depth + 1);
        const rest = node.arguments.map((argument) => this.staticString(argument, depth + 1));
        if (base === undefined || rest.some((part) => part === undefined)) return undefined;
        return base + rest.join('');
      }
      if (['toLowerCase', 'toUpperCase', 'trim', 'toString'].includes(method) && node.arguments.length === 0) {
        const base = this.staticString(target, depth + 1);
        if (base === undefined) return undefined;
        return method === 'toLowerCase' ? base.toLowerCase() : method === 'toUpperCase' ? base.toUpperCase() : method === 'trim' ? base.trim() : base;
      }
      if (method === 'fromCharCode' && ts.isIdentifier(target) && target.text === 'String') {
        const codes = node.arguments.map((argument) => {
          const argumentNode = skipParens(argument);
          return ts.isNumericLiteral(argumentNode) ? Number(argumentNode.text) : undefined;
        });
        if (codes.some((code) => code === undefined)) return undefined;
        return String.fromCharCode(...(codes as number[]));
      }
      if (method === 'reverse' || method === 'split') return undefined;
    }
    if (ts.isIdentifier(node) && this.isDeclared(node.text)) {
      const values = this.declarations(node.text);
      if (values.length !== 1) return undefined;
      const value = values[0]!;
      if (ts.isVariableDeclaration(value.parent) && value.parent.initializer === value && (value.parent.parent.flags & ts.NodeFlags.Const) !== 0) {
        return this.staticString(value as ts.Expression, depth + 1);
      }
    }
    return undefined;
  }

  /** The paths an expression may refer to; empty when it is nothing global (a local value, a literal…). */
  paths(expression: ts.Expression): Path[] {
    return this.resolve(expression, 0);
  }

  private resolve(expression: ts.Expression, depth: number): Path[] {
    if (depth > MAX_DEPTH) return [];
    const node = skipParens(expression);
    const cached = this.memo.get(node);
    if (cached) return cached;
    // a guard against cycles (`let a = b; let b = a`): resolving `node` again while resolving it yields nothing
    this.memo.set(node, []);
    const result = dedupe(this.compute(node, depth).map(normalize));
    this.memo.set(node, result);
    return result;
  }

  private member(owner: ts.Expression, key: string, depth: number): Path[] {
    const owners = this.resolve(owner, depth + 1);
    const out: Path[] = owners.map((path) => [...path, key]);
    // `.constructor` of any function is Function (async and generator functions: their own constructors, as bad)
    if (key === 'constructor') {
      const target = skipParens(owner);
      // x.constructor.constructor is Function, whatever x is
      const ownerKey = ts.isPropertyAccessExpression(target) ? target.name.text : ts.isElementAccessExpression(target) ? this.staticString(target.argumentExpression) : undefined;
      if (ownerKey === 'constructor') out.push(['Function']);
      if (isFunctionLike(target) || this.isFunctionValue(target) || owners.some((path) => path[path.length - 1] === 'constructor' || path[path.length - 1] === 'prototype')) out.push(['Function']);
      if (ts.isCallExpression(target) && ts.isPropertyAccessExpression(target.expression) && target.expression.name.text === 'getPrototypeOf') out.push(['Function']);
    }
    return out;
  }

  private isFunctionValue(node: ts.Expression): boolean {
    if (!ts.isIdentifier(node)) return false;
    return this.declarations(node.text).some((value) => isFunctionLike(value));
  }

  private compute(node: ts.Expression, depth: number): Path[] {
    if (ts.isIdentifier(node)) {
      const name = node.text;
      if (this.isDeclared(name)) {
        const out: Path[] = [];
        for (const value of this.declarations(name)) {
          if (ts.isBindingElement(value)) out.push(...this.bindingPaths(value, depth));
          else if (ts.isParameter(value) || isFunctionLike(value) || ts.isImportClause(value) || ts.isImportSpecifier(value) || ts.isNamespaceImport(value) || ts.isImportEqualsDeclaration(value) || ts.isVariableDeclaration(value) || ts.isEnumDeclaration(value) || ts.isModuleDeclaration(value)) continue;
          else out.push(...this.resolve(value as ts.Expression, depth + 1));
        }
        return out;
      }
      if (name === 'undefined' || name === 'NaN' || name === 'Infinity') return [];
      return [[GLOBAL_OBJECTS.has(name) ? 'globalThis' : name]];
    }
    if (node.kind === ts.SyntaxKind.ThisKeyword) return [];
    if (ts.isPropertyAccessExpression(node)) return this.member(node.expression, node.name.text, depth);
    if (ts.isElementAccessExpression(node)) {
      const key = this.staticString(node.argumentExpression);
      const target = skipParens(node.expression);
      if (ts.isArrayLiteralExpression(target)) return target.elements.flatMap((element) => this.resolve(element, depth + 1));
      return this.member(node.expression, key ?? '*', depth);
    }
    if (ts.isConditionalExpression(node)) return [...this.resolve(node.whenTrue, depth + 1), ...this.resolve(node.whenFalse, depth + 1)];
    if (ts.isBinaryExpression(node) && [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(node.operatorToken.kind)) {
      return [...this.resolve(node.left, depth + 1), ...this.resolve(node.right, depth + 1)];
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) return this.resolve(node.right, depth + 1);
    if (ts.isCallExpression(node)) return this.callResult(node, depth);
    return [];
  }

  /** `const { a: b } = x`, `const [b] = x`: b is x.a (or x[*]). */
  private bindingPaths(element: ts.BindingElement, depth: number): Path[] {
    const pattern = element.parent;
    const key = ts.isObjectBindingPattern(pattern)
      ? (() => {
          const name = element.propertyName ?? element.name;
          if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
          if (ts.isComputedPropertyName(name)) return this.staticString(name.expression) ?? '*';
          return '*';
        })()
      : '*';
    const holder = pattern.parent;
    let source: Path[] = [];
    if (ts.isVariableDeclaration(holder) && holder.initializer) source = this.resolve(holder.initializer, depth + 1);
    else if (ts.isBindingElement(holder)) source = this.bindingPaths(holder, depth + 1);
    const out: Path[] = source.map((path) => [...path, key]);
    if (element.initializer) out.push(...this.resolve(element.initializer, depth + 1));
    return out;
  }

  /** What a call returns, for the calls that hand out globals or modules. */
  private callResult(node: ts.CallExpression, depth: number): Path[] {
    const callee = skipParens(node.expression);
    const first = node.arguments[0];
    const calleePaths = this.resolve(callee, depth + 1);
    const is = (...path: string[]): boolean => calleePaths.some((p) => p.length === path.length && p.every((s, i) => s === path[i]));
    // require('x'), module.require('x'), process.getBuiltinModule('x') → the module
    if (is('require') || is('module', 'require') || is('process', 'getBuiltinModule')) {
      const name = first ? this.staticString(first) : undefined;
      return [[`module:${name === undefined ? '*' : name.replace(/^node:/, '')}`]];
    }
    // Reflect.get(o, k) → o[k]; Object.getOwnPropertyDescriptor(o, k) → o[k] (its .value / .get)
    if ((is('Reflect', 'get') || is('Object', 'getOwnPropertyDescriptor') || is('Reflect', 'getOwnPropertyDescriptor')) && first) {
      const key = node.arguments[1] ? (this.staticString(node.arguments[1]) ?? '*') : '*';
      const owners = this.resolve(first, depth + 1);
      return owners.map((path) => [...path, key]).concat(key === 'constructor' ? [['Function']] : []);
    }
    // f.bind(…) is still f
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'bind') return this.resolve(callee.expression, depth + 1);
    // Object.getPrototypeOf(f) of a function is Function.prototype
    if (is('Object', 'getPrototypeOf') || is('Reflect', 'getPrototypeOf')) {
      const target = first ? skipParens(first) : undefined;
      if (target && (isFunctionLike(target) || this.isFunctionValue(target))) return [['Function', 'prototype']];
      return first ? this.resolve(first, depth + 1).map((path) => [...path, '__proto__']) : [];
    }
    // Function('…')() / new Function: the result is unknown, but the callee is reported by the rules
    return [];
  }
}

/** `globalThis.X…` is `X…`, `X.prototype.constructor` is `X`, `globalThis.globalThis` is `globalThis`. */
function normalize(path: Path): Path {
  let out = [...path];
  while (out.length > 1 && out[0] === 'globalThis' && out[1] !== '*') out = out.slice(1);
  if (out.length > 0 && GLOBAL_OBJECTS.has(out[0]!)) out[0] = 'globalThis';
  for (let i = 1; i + 1 < out.length; i++) {
    if (out[i] === 'prototype' && out[i + 1] === 'constructor') {
      out = [...out.slice(0, i), ...out.slice(i + 2)];
      i--;
    }
  }
  return out;
}

function dedupe(paths: Path[]): Path[] {
  const seen = new Set<string>();
  return paths.filter((path) => {
    const key = path.join('\0');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether `path` starts with `prefix`. */
export function startsWith(path: Path, ...prefix: string[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

export function showPath(path: Path): string {
  return path.map((segment, i) => (i === 0 ? segment : segment === '*' ? '[…]' : `.${segment}`)).join('');
}

/**
 * The paths a member access (`a.b`, `a[k]`) or a handing-out call (`Reflect.get`, `require`, `getBuiltinModule`,
 * `getOwnPropertyDescriptor`) refers to. Plain identifiers are left to the rules that look at names.
 */
export function accessPaths(resolver: Resolver, node: ts.Node): Path[] {
  if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
    // `a.b` inside `a.b.c` is reported through the outer access only when it differs
    return resolver.paths(node);
  }
  if (ts.isCallExpression(node)) return resolver.paths(node);
  return [];
}

export function isExactly(path: Path, ...expected: string[]): boolean {
  return path.length === expected.length && expected.every((segment, i) => path[i] === segment);
}
