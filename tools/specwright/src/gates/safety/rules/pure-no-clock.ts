import ts from 'typescript';
import { skipParens } from '../ast';
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
        if (ts.isIdentifier(callee) && callee.text === 'Date' && call.arguments.length === 0) {
          context.report(node, 'Date() reads the clock in a pure spec; take the time as a parameter');
        }
        if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
          const owner = callee.expression.text;
          const method = callee.name.text;
          if ((owner === 'Date' || owner === 'performance') && method === 'now') {
            context.report(node, `${owner}.${method}() reads the clock in a pure spec; take the time as a parameter`);
          }
        }
      },
      NewExpression(node) {
        const expression = node as ts.NewExpression;
        const callee = skipParens(expression.expression);
        if (ts.isIdentifier(callee) && callee.text === 'Date' && (!expression.arguments || expression.arguments.length === 0)) {
          context.report(node, 'new Date() without arguments reads the clock in a pure spec; take the time (or a Date) as a parameter');
        }
      },
    };
  },
});
