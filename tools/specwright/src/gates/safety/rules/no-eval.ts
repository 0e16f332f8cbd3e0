import ts from 'typescript';
import { isGlobalObject, isValueReference, skipParens } from '../ast';
import { accessPaths, isExactly, showPath } from '../resolve';
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
        checkAccess(node);
        const call = node as ts.CallExpression;
        const callee = skipParens(call.expression);
        const timer = context.resolver.paths(callee).some((p) => p.length === 1 && STRING_TIMERS.has(p[0]!));
        const first = call.arguments[0];
        if (timer && first && (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first) || context.resolver.staticString(first) !== undefined)) {
          context.report(node, `${callee.getText(context.sourceFile).slice(0, 40)}() with a string evaluates code like eval; pass a function`);
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
    // globalThis.eval, g['ev' + 'al'] with g = globalThis, Reflect.get(globalThis, 'eval')…
    function checkAccess(node: ts.Node): void {
      const path = accessPaths(context.resolver, node).find((p) => isExactly(p, 'eval'));
      if (path) context.report(node, `${node.getText(context.sourceFile).slice(0, 60)} is ${showPath(path)}, which evaluates strings as code; compute the value directly`);
    }
  },
});
