import ts from 'typescript';
import { isAssignmentOperator, isGlobalObject, skipParens } from '../ast';
import { showPath } from '../resolve';
import { defineRule } from '../rule';

/** Built-in constructors whose prototypes generated code must not patch: every other module would see the change. */
export const BUILTIN_CONSTRUCTORS = new Set(['Object', 'Array', 'Function', 'String', 'Number', 'Boolean', 'Symbol', 'Promise', 'Map', 'Set', 'Date', 'RegExp', 'Error', 'JSON', 'Math', 'Reflect']);

export const noGlobalMutation = defineRule({
  id: 'no-global-mutation',
  description: 'assigning to globals or patching built-ins',
  create(context) {
    return {
      BinaryExpression(node) {
        const binary = node as ts.BinaryExpression;
        if (!isAssignmentOperator(binary.operatorToken.kind)) return;
        const left = skipParens(binary.left);
        if (!ts.isPropertyAccessExpression(left) && !ts.isElementAccessExpression(left)) return;
        const owner = skipParens(left.expression);
        if (isGlobalObject(owner)) {
          context.report(node, `assigning to ${owner.getText()}.… changes a global every module sees; export the value instead`);
          return;
        }
        // Object.prototype.x = …, Array.prototype[k] = …, String.prototype.x ??= …
        if (
          (ts.isPropertyAccessExpression(owner) && owner.name.text === 'prototype' && ts.isIdentifier(owner.expression) && BUILTIN_CONSTRUCTORS.has(owner.expression.text)) ||
          (ts.isIdentifier(owner) && BUILTIN_CONSTRUCTORS.has(owner.text))
        ) {
          context.report(node, `patching the built-in ${owner.getText()} changes it for every module; write a helper function instead`);
          return;
        }
        // the same through an alias or a computed name: const A = Array; A.prototype.x = …; globalThis['Ob' + 'ject'].x = …
        const global = context.resolver.paths(owner).find((p) => p.length >= 1 && p[0] !== 'module' && p[0] !== 'exports' && !p[0]!.startsWith('module:') && (p[0] === 'globalThis' || BUILTIN_CONSTRUCTORS.has(p[0]!) || p[0] === 'process' || p.includes('prototype')));
        if (global) context.report(node, `assigning into ${showPath(global)} changes a global or built-in every module sees; export a value or write a helper function instead`);
      },
    };
  },
});
