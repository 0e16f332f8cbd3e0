import ts from 'typescript';
import { skipParens } from '../ast';
import { defineRule } from '../rule';

const TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate']);

/** Timers schedule work after the call returned: a pure function's effects would outlive it. */
export const pureNoTimers = defineRule({
  id: 'pure-no-timers',
  description: "timers in pure specs without the 'timers' capability",
  create(context) {
    if (!context.pure || context.capabilities.has('timers')) return {};
    return {
      CallExpression(node) {
        const callee = skipParens((node as ts.CallExpression).expression);
        if (ts.isIdentifier(callee) && TIMERS.has(callee.text)) {
          context.report(node, `${callee.text}() schedules work outside the call in a pure spec; compute synchronously, or grant 'timers' in constraints.capabilities`);
        }
      },
    };
  },
});
