import ts from 'typescript';
import { accessedName, skipParens } from '../ast';
import { defineRule } from '../rule';

/** Math.random: never in security code, and not in pure code unless the spec grants 'random'. */
export const noMathRandom = defineRule({
  id: 'no-math-random',
  description: "Math.random in security code, or in pure code without the 'random' capability",
  create(context) {
    if (!context.security && !(context.pure && !context.capabilities.has('random'))) return {};
    const check = (node: ts.Node): void => {
      const access = node as ts.PropertyAccessExpression | ts.ElementAccessExpression;
      const owner = skipParens(access.expression);
      if (!(ts.isIdentifier(owner) && owner.text === 'Math' && accessedName(access) === 'random')) return;
      if (context.security) {
        context.report(node, "Math.random is not allowed in security-sensitive code; use crypto.randomInt/getRandomValues (grant 'crypto')");
      } else {
        context.report(node, "Math.random makes a pure function nondeterministic; take randomness as a parameter, or grant 'random' in constraints.capabilities");
      }
    };
    return { PropertyAccessExpression: check, ElementAccessExpression: check };
  },
});
