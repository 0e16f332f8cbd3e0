import type ts from 'typescript';
import { accessedName, processReference } from '../ast';
import { accessPaths } from '../resolve';
import { defineRule } from '../rule';

/** process members that end, signal or reconfigure the process the code runs in. */
export const PROCESS_CONTROL = new Set(['exit', 'reallyExit', 'abort', 'kill', 'chdir', 'umask', 'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups']);

export const noProcessControl = defineRule({
  id: 'no-process-control',
  description: 'process.exit, kill, chdir and other process control',
  create(context) {
    const checkAccess = (node: ts.Node): void => {
      const access = node as ts.PropertyAccessExpression | ts.ElementAccessExpression;
      const name = accessedName(access);
      const processName = processReference(access.expression);
      const resolved = accessPaths(context.resolver, node).find((p) => p.length === 2 && p[0] === 'process' && PROCESS_CONTROL.has(p[1]!));
      if (resolved && !(processName && name === resolved[1])) {
        context.report(node, `${node.getText(context.sourceFile).slice(0, 60)} is process.${resolved[1]}, which ends or reconfigures the running process; report problems by throwing an error instead`);
      }
      if (processName && name && PROCESS_CONTROL.has(name)) {
        context.report(node, `${processName}.${name} ends or reconfigures the running process; report problems by throwing an error instead`);
      }
    };
    return { PropertyAccessExpression: checkAccess, ElementAccessExpression: checkAccess, CallExpression: checkAccess };
  },
});
