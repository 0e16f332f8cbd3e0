import ts from 'typescript';
import { isGlobalObject, skipParens } from '../ast';
import { defineRule } from '../rule';

/** Globals that reach the network without an import. */
export const NETWORK_GLOBALS = new Set(['fetch', 'WebSocket', 'XMLHttpRequest', 'EventSource']);

export const noNetwork = defineRule({
  id: 'no-network',
  description: "network globals (fetch, WebSocket…) without the 'net' capability",
  create(context) {
    if (context.capabilities.has('net')) return {};
    const check = (node: ts.Node): void => {
      const callee = skipParens((node as ts.CallExpression | ts.NewExpression).expression);
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee) && isGlobalObject(callee.expression)
          ? callee.name.text
          : undefined;
      if (name && NETWORK_GLOBALS.has(name)) {
        context.report(node, `${name} reaches the network; take the data as a parameter, or grant 'net' in constraints.capabilities`);
      }
    };
    return { CallExpression: check, NewExpression: check };
  },
});
