import ts from 'typescript';
import { accessedName, processReference } from '../ast';
import { accessPaths } from '../resolve';
import { defineRule } from '../rule';

/** process members that reach into Node's internals or native code: never a generated function's business. */
export const PROCESS_INTERNALS = new Set(['binding', '_linkedBinding', 'dlopen', 'mainModule']);

export const noProcessInternals = defineRule({
  id: 'no-process-internals',
  description: 'process.binding, dlopen and other doors into Node internals',
  create(context) {
    const checkAccess = (node: ts.Node): void => {
      const access = node as ts.PropertyAccessExpression | ts.ElementAccessExpression;
      const name = accessedName(access);
      const processName = processReference(access.expression);
      const resolved = accessPaths(context.resolver, node).find((p) => p.length === 2 && p[0] === 'process' && PROCESS_INTERNALS.has(p[1]!));
      if (resolved && !(processName && name === resolved[1])) {
        context.report(node, `${node.getText(context.sourceFile).slice(0, 60)} is process.${resolved[1]}, which reaches into Node internals and is never allowed; remove it`);
      }
      if (processName && name && PROCESS_INTERNALS.has(name)) {
        context.report(node, `${processName}.${name} reaches into Node internals and is never allowed; remove it`);
      }
    };
    return {
      PropertyAccessExpression: checkAccess,
      ElementAccessExpression: checkAccess,
      CallExpression: checkAccess,
      VariableDeclaration(node) {
        const declaration = node as ts.VariableDeclaration;
        if (!ts.isObjectBindingPattern(declaration.name) || !declaration.initializer) return;
        const processName = processReference(declaration.initializer);
        if (!processName) return;
        for (const element of declaration.name.elements) {
          const key = element.propertyName ?? element.name;
          const name = ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : undefined;
          if (name && PROCESS_INTERNALS.has(name)) context.report(element, `${processName}.${name} reaches into Node internals and is never allowed; remove it`);
        }
      },
    };
  },
});
