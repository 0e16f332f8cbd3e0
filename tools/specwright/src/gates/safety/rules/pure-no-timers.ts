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
        const timer = context.resolver.paths(callee).find((p) => p.length === 1 && TIMERS.has(p[0]!)) ?? context.resolver.paths(callee).find((p) => p.length === 2 && p[0] === 'module:timers' && TIMERS.has(p[1]!));
        if (timer) {
          context.report(node, `${timer[timer.length - 1]}() schedules work outside the call in a pure spec; compute synchronously, or grant 'timers' in constraints.capabilities`);
        }
      },
    };
  },
});
