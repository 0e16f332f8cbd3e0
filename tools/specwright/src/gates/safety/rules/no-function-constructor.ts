import ts from 'typescript';
import { accessedName, isGlobalObject, isValueReference, skipParens } from '../ast';
import { defineRule } from '../rule';

/** `Function(…)`, `new Function(…)`, `globalThis.Function` and `x.constructor(…)` chains build functions from strings. */
export const noFunctionConstructor = defineRule({
  id: 'no-function-constructor',
  description: 'the Function constructor, directly or through .constructor',
  create(context) {
    const checkAccess = (node: ts.Node): void => {
      const access = node as ts.PropertyAccessExpression | ts.ElementAccessExpression;
      if (accessedName(access) === 'Function' && isGlobalObject(access.expression)) {
        context.report(node, 'the Function constructor evaluates strings as code; write the function directly');
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
        const call = node as ts.CallExpression;
        const callee = skipParens(call.expression);
        if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'constructor' && call.arguments.length > 0) {
          context.report(node, "calling '.constructor(...)' with arguments can build functions from strings (like new Function); call the function directly");
        }
      },
    };
  },
});
