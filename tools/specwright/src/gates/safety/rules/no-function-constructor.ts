import ts from 'typescript';
import { isValueReference, skipParens } from '../ast';
import { accessPaths, isExactly } from '../resolve';
import { defineRule } from '../rule';

/** `Function(…)`, `new Function(…)`, `globalThis.Function` and `x.constructor(…)` chains build functions from strings. */
export const noFunctionConstructor = defineRule({
  id: 'no-function-constructor',
  description: 'the Function constructor, directly or through .constructor',
  create(context) {
    // globalThis.Function, Reflect.get(globalThis, 'Func' + 'tion'), (() => 0).constructor, f.constructor.constructor…
    const checkAccess = (node: ts.Node): void => {
      if (accessPaths(context.resolver, node).some((p) => isExactly(p, 'Function'))) {
        context.report(node, `${node.getText(context.sourceFile).slice(0, 60)} is the Function constructor, which evaluates strings as code; write the function directly`);
      }
    };
    return {
      Identifier(node) {
        const identifier = node as ts.Identifier;
        if (identifier.text === 'Function' && isValueReference(identifier)) {
          context.report(node, 'Function()/new Function() evaluates strings as code; write the function directly');
        }
      },
      PropertyAccessExpression: checkAccess,
      ElementAccessExpression: checkAccess,
      CallExpression(node) {
        checkAccess(node);
        const call = node as ts.CallExpression;
        const callee = skipParens(call.expression);
        if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'constructor' && call.arguments.length > 0) {
          context.report(node, "calling '.constructor(...)' with arguments can build functions from strings (like new Function); call the function directly");
        }
      },
    };
  },
});
