import ts from 'typescript';
import { skipParens } from '../ast';
import { defineRule } from '../rule';
import { isExactly, SENSITIVE_ROOTS, showPath } from '../resolve';

/**
 * `globalThis[name]`, `process[key]`, `Reflect.get(globalThis, x)` with a key that cannot be known from the code:
 * whatever it reaches, no rule can tell — the usual shape of code hiding an eval, a fetch or process.env.
 */
export const noComputedGlobalAccess = defineRule({
  id: 'no-computed-global-access',
  description: 'computed member access on the global object, process, Reflect, module or require',
  create(context) {
    const report = (node: ts.Node, owner: readonly string[]): void => {
      context.report(node, `${node.getText(context.sourceFile).slice(0, 60)} reads ${showPath(owner)}[…] with a name that cannot be known from the code, which hides what it uses; name the member directly`);
    };
    return {
      ElementAccessExpression(node) {
        const access = node as ts.ElementAccessExpression;
        if (context.resolver.staticString(access.argumentExpression) !== undefined) return;
        // numeric indexes (arrays, strings) are data, not names
        const key = skipParens(access.argumentExpression);
        if (ts.isNumericLiteral(key) || ts.isPrefixUnaryExpression(key)) return;
        const owner = context.resolver.paths(access.expression).find((p) => p.length === 1 && SENSITIVE_ROOTS.has(p[0]!));
        if (owner) report(node, owner);
      },
      CallExpression(node) {
        const call = node as ts.CallExpression;
        const callee = context.resolver.paths(skipParens(call.expression));
        const reflective = callee.some((p) => isExactly(p, 'Reflect', 'get') || isExactly(p, 'Reflect', 'getOwnPropertyDescriptor') || isExactly(p, 'Object', 'getOwnPropertyDescriptor'));
        const [target, key] = call.arguments;
        if (!reflective || !target || !key || context.resolver.staticString(key) !== undefined) return;
        const owner = context.resolver.paths(target).find((p) => p.length === 1 && SENSITIVE_ROOTS.has(p[0]!));
        if (owner) report(node, owner);
      },
    };
  },
});
