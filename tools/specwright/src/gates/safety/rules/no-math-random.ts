import type ts from 'typescript';
import { isExactly } from '../resolve';
import { defineRule } from '../rule';

/** Math.random: never in security code, and not in pure code unless the spec grants 'random'. */
export const noMathRandom = defineRule({
  id: 'no-math-random',
  description: "Math.random in security code, or in pure code without the 'random' capability",
  create(context) {
    if (!context.security && !(context.pure && !context.capabilities.has('random'))) return {};
    const check = (node: ts.Node): void => {
      if (!context.resolver.paths(node as ts.Expression).some((p) => isExactly(p, 'Math', 'random'))) return;
      if (context.security) {
        context.report(node, "Math.random is not allowed in security-sensitive code; use crypto.randomInt/getRandomValues (grant 'crypto')");
      } else {
        context.report(node, "Math.random makes a pure function nondeterministic; take randomness as a parameter, or grant 'random' in constraints.capabilities");
      }
    };
    return { PropertyAccessExpression: check, ElementAccessExpression: check };
  },
});
