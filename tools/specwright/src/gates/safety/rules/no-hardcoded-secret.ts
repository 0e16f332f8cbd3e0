import ts from 'typescript';
import { isModuleSpecifier } from '../ast';
import { defineRule } from '../rule';
import { SECRET_PATTERNS, assignedName, isSecretName, looksLikeToken, redact } from '../secrets';

/** API keys, tokens and private keys written into the code. */
export const noHardcodedSecret = defineRule({
  id: 'no-hardcoded-secret',
  description: 'hard-coded API keys, tokens and private keys',
  create(context) {
    const checkString = (node: ts.Node, text: string): void => {
      for (const [pattern, what] of SECRET_PATTERNS) {
        const match = pattern.exec(text);
        if (match) {
          context.report(node, `string literal looks like ${what} (${redact(match[0])}); never hard-code secrets: take it as a parameter (or read process.env with capability 'env')`);
          return;
        }
      }
      const target = assignedName(node);
      if (target && isSecretName(target) && looksLikeToken(text)) {
        context.report(node, `'${target}' is assigned a hard-coded high-entropy string (${redact(text)}); never hard-code secrets: take it as a parameter (or read process.env with capability 'env')`);
      }
    };
    const literal = (node: ts.Node): void => {
      if (!isModuleSpecifier(node)) checkString(node, (node as ts.StringLiteral).text);
    };
    return {
      StringLiteral: literal,
      NoSubstitutionTemplateLiteral: literal,
      TemplateExpression(node) {
        const template = node as ts.TemplateExpression;
        checkString(template.head, template.head.text);
        for (const span of template.templateSpans) checkString(span.literal, span.literal.text);
      },
    };
  },
});
