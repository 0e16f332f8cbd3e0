import ts from 'typescript';
import { isGlobalObject, skipParens } from '../ast';
import { accessPaths } from '../resolve';
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
    // fetch reached through the global object in any spelling, used as a value or called
    const checkAccess = (node: ts.Node): void => {
      const path = accessPaths(context.resolver, node).find((p) => p.length === 1 && NETWORK_GLOBALS.has(p[0]!));
      if (path) context.report(node, `${node.getText(context.sourceFile).slice(0, 60)} is ${path[0]}, which reaches the network; take the data as a parameter, or grant 'net' in constraints.capabilities`);
    };
    return {
      CallExpression(node) {
        check(node);
        checkAccess(node);
        // an alias of fetch called: const { fetch: go } = globalThis; go(…)
        const callee = skipParens((node as ts.CallExpression).expression);
        if (ts.isIdentifier(callee) && !NETWORK_GLOBALS.has(callee.text)) {
          const path = context.resolver.paths(callee).find((p) => p.length === 1 && NETWORK_GLOBALS.has(p[0]!));
          if (path) context.report(node, `${callee.text} is ${path[0]}, which reaches the network; take the data as a parameter, or grant 'net' in constraints.capabilities`);
        }
      },
      NewExpression: check,
      PropertyAccessExpression: checkAccess,
      ElementAccessExpression: checkAccess,
    };
  },
});
