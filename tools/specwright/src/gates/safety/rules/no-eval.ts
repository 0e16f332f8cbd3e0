import ts from 'typescript';
import { accessedName, isGlobalObject, isValueReference, skipParens } from '../ast';
import { defineRule } from '../rule';

const STRING_TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate']);

/** eval in every spelling: the identifier, through the global object, destructured, and timers given a string. */
export const noEval = defineRule({
  id: 'no-eval',
  description: 'eval, and timers given a string of code',
  create(context) {
    return {
      Identifier(node) {
        const identifier = node as ts.Identifier;
        if (identifier.text === 'eval' && isValueReference(identifier)) context.report(node, 'eval evaluates strings as code; compute the value directly');
      },
      PropertyAccessExpression: (node) => checkAccess(node),
      ElementAccessExpression: (node) => checkAccess(node),
      CallExpression(node) {
        const call = node as ts.CallExpression;
        const callee = skipParens(call.expression);
        const first = call.arguments[0];
        if (ts.isIdentifier(callee) && STRING_TIMERS.has(callee.text) && first && (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first))) {
          context.report(node, `${callee.text}() with a string evaluates code like eval; pass a function`);
        }
      },
      VariableDeclaration(node) {
        const declaration = node as ts.VariableDeclaration;
        if (!ts.isObjectBindingPattern(declaration.name) || !declaration.initializer || !isGlobalObject(declaration.initializer)) return;
        for (const element of declaration.name.elements) {
          const key = element.propertyName ?? element.name;
          const name = ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : undefined;
          if (name === 'eval' || name === 'Function') context.report(element, `destructuring ${name} from the global object evaluates strings as code; remove it`);
        }
      },
    };
    function checkAccess(node: ts.Node): void {
      const access = node as ts.PropertyAccessExpression | ts.ElementAccessExpression;
      if (accessedName(access) === 'eval' && isGlobalObject(access.expression)) context.report(node, 'eval evaluates strings as code; compute the value directly');
    }
  },
});
