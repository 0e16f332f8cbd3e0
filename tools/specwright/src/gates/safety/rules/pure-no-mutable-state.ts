import ts from 'typescript';
import { defineRule } from '../rule';

/** Module-level mutable state makes a pure function's result depend on earlier calls. */
export const pureNoMutableState = defineRule({
  id: 'pure-no-mutable-state',
  description: 'module-level let/var in pure specs',
  create(context) {
    if (!context.pure) return {};
    return {
      SourceFile(node) {
        const sf = node as ts.SourceFile;
        for (const statement of sf.statements) {
          if (!ts.isVariableStatement(statement)) continue;
          const flags = statement.declarationList.flags;
          if (flags & ts.NodeFlags.Const || flags & ts.NodeFlags.Using || flags & ts.NodeFlags.AwaitUsing) continue;
          const kind = flags & ts.NodeFlags.Let ? 'let' : 'var';
          const names = statement.declarationList.declarations.map((d) => d.name.getText(sf)).join(', ');
          context.report(statement, `top-level '${kind} ${names}' is module-level mutable state in a pure spec; use const, or keep the state inside the function`);
        }
      },
    };
  },
});
