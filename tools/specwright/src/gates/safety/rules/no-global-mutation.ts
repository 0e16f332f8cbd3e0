import ts from 'typescript';
import { isAssignmentOperator, isGlobalObject, skipParens } from '../ast';
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
        }
      },
    };
  },
});
