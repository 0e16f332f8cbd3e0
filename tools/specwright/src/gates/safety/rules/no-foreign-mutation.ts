import ts from 'typescript';
import { skipParens } from '../ast';
import { defineRule } from '../rule';
import type { Resolver } from '../resolve';
import { isExactly, showPath } from '../resolve';

/** Calls that change an object's shape or prototype: fine on objects the module made, never on anyone else's. */
const RESHAPERS: ReadonlyArray<readonly [string, string]> = [
  ['Object', 'defineProperty'],
  ['Object', 'defineProperties'],
  ['Object', 'setPrototypeOf'],
  ['Reflect', 'defineProperty'],
  ['Reflect', 'setPrototypeOf'],
  ['Reflect', 'set'],
  ['Reflect', 'deleteProperty'],
];

/** Whether `node` evaluates to an object this module created (a literal, `new …`, a local class or function, this). */
export function createdHere(resolver: Resolver, expression: ts.Expression, depth = 0): boolean {
  if (depth > 8) return false;
  const node = skipParens(expression);
  if (ts.isObjectLiteralExpression(node) || ts.isArrayLiteralExpression(node) || ts.isNewExpression(node) || ts.isClassExpression(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node)) return true;
  if (node.kind === ts.SyntaxKind.ThisKeyword) return true;
  if (ts.isCallExpression(node)) {
    const callee = resolver.paths(skipParens(node.expression));
    return callee.some((p) => isExactly(p, 'Object', 'create') || isExactly(p, 'Object', 'assign') || isExactly(p, 'Object', 'fromEntries'));
  }
  if (ts.isIdentifier(node)) {
    const values = resolver.declarations(node.text);
    if (values.length === 0) return false;
    return values.every((value) => {
      if (ts.isClassDeclaration(value) || ts.isFunctionDeclaration(value)) return true;
      if (ts.isParameter(value) || ts.isBindingElement(value) || ts.isImportClause(value) || ts.isImportSpecifier(value) || ts.isNamespaceImport(value) || ts.isImportEqualsDeclaration(value)) return false;
      if (ts.isVariableDeclaration(value)) return false;
      return createdHere(resolver, value as ts.Expression, depth + 1);
    });
  }
  // X.prototype of a class or function of this module
  if (ts.isPropertyAccessExpression(node) && node.name.text === 'prototype') return createdHere(resolver, node.expression, depth + 1);
  return false;
}

/**
 * `Object.defineProperty`/`setPrototypeOf`/`Reflect.set…` on anything the module did not create (built-ins and
 * their prototypes, globals, parameters, imports), `Object.assign` onto a global or built-in, and `__proto__` in
 * any form: changes every other module would see.
 */
export const noForeignMutation = defineRule({
  id: 'no-foreign-mutation',
  description: "defineProperty/setPrototypeOf/__proto__ on objects the module did not create",
  create(context) {
    const protoAccess = (node: ts.Node): void => {
      const access = node as ts.PropertyAccessExpression | ts.ElementAccessExpression;
      const name = ts.isPropertyAccessExpression(access) ? access.name.text : context.resolver.staticString(access.argumentExpression);
      if (name === '__proto__' || name === '__defineGetter__' || name === '__defineSetter__' || name === '__lookupGetter__') {
        context.report(node, `${name} reaches or replaces an object's prototype; use plain objects and Object.create(null) if needed`);
      }
    };
    return {
      PropertyAccessExpression: protoAccess,
      ElementAccessExpression: protoAccess,
      PropertyAssignment(node) {
        const assignment = node as ts.PropertyAssignment;
        const name = ts.isIdentifier(assignment.name) || ts.isStringLiteral(assignment.name) ? assignment.name.text : undefined;
        if (name === '__proto__') context.report(node, "'__proto__:' in an object literal sets its prototype; use Object.create(...) with an object this module made");
      },
      CallExpression(node) {
        const call = node as ts.CallExpression;
        const callee = context.resolver.paths(skipParens(call.expression));
        const target = call.arguments[0];
        if (!target) return;
        const reshaper = RESHAPERS.find(([owner, method]) => callee.some((p) => isExactly(p, owner, method)));
        if (reshaper) {
          if (!createdHere(context.resolver, target)) {
            context.report(node, `${reshaper.join('.')}() on ${target.getText(context.sourceFile).slice(0, 40)}, an object this module did not create, changes it for everyone who holds it; build a new object instead`);
          }
          return;
        }
        // walking the prototypes of runtime objects (process.stdout → net.Socket.prototype…) leads to their classes
        if (callee.some((p) => isExactly(p, 'Object', 'getPrototypeOf') || isExactly(p, 'Reflect', 'getPrototypeOf'))) {
          const runtime = context.resolver.paths(target).find((p) => p.length >= 1 && (p[0] === 'process' || p[0] === 'globalThis' || p[0]!.startsWith('module:')));
          if (runtime) context.report(node, `Object.getPrototypeOf(${showPath(runtime)}) walks into the runtime's own classes; use the objects the module made`);
          return;
        }
        if (callee.some((p) => isExactly(p, 'Object', 'assign'))) {
          const global = context.resolver.paths(target).find((p) => p.length >= 1 && !p[0]!.startsWith('module:'));
          if (global && !createdHere(context.resolver, target)) {
            context.report(node, `Object.assign() onto ${showPath(global)} changes a global or built-in every module sees; assign into a new object instead`);
          }
        }
      },
    };
  },
});
