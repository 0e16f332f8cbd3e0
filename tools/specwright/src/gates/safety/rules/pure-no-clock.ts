import ts from 'typescript';
import { skipParens } from '../ast';
import { isExactly } from '../resolve';
import { defineRule } from '../rule';

/** Reading the clock makes a pure function's result depend on when it runs. */
export const pureNoClock = defineRule({
  id: 'pure-no-clock',
  description: 'Date(), new Date(), Date.now() and performance.now() in pure specs',
  create(context) {
    if (!context.pure) return {};
    return {
      CallExpression(node) {
        const call = node as ts.CallExpression;
        const callee = skipParens(call.expression);
        const paths = context.resolver.paths(callee);
        if (paths.some((p) => isExactly(p, 'Date')) && call.arguments.length === 0) {
          context.report(node, 'Date() reads the clock in a pure spec; take the time as a parameter');
        }
        const clock = paths.find((p) => isExactly(p, 'Date', 'now') || isExactly(p, 'performance', 'now') || isExactly(p, 'process', 'hrtime') || isExactly(p, 'process', 'hrtime', 'bigint') || isExactly(p, 'process', 'uptime'));
        if (clock) context.report(node, `${clock.join('.')}() reads the clock in a pure spec; take the time as a parameter`);
      },
      NewExpression(node) {
        const expression = node as ts.NewExpression;
        const callee = skipParens(expression.expression);
        if (context.resolver.paths(callee).some((p) => isExactly(p, 'Date')) && (!expression.arguments || expression.arguments.length === 0)) {
          context.report(node, 'new Date() without arguments reads the clock in a pure spec; take the time (or a Date) as a parameter');
        }
      },
    };
  },
});
