/**
 * `constraints.forbid`: the machine-checkable part of a spec's prose constraints. Each entry is one of:
 *
 * | entry                      | rejects                                                                         |
 * |----------------------------|---------------------------------------------------------------------------------|
 * | `Name` (a global)          | every value reference to that global: `BigInt`, `Intl`, `Date`, `JSON`, `Proxy` |
 * | `Name.member`              | that member of a global, read or called: `Math.round`, `Number.parseFloat`      |
 * | `.member`                  | a property or method of that name on any value: `.toFixed`, `.localeCompare`   |
 * | `floating-point-division`  | the `/` and `/=` operators (integer code uses `%` and subtraction)              |
 * | `locale-methods`           | `Intl` and every locale-sensitive method (`toLocale*`, `localeCompare`)         |
 * | `regex`                    | regular expression literals and the `RegExp` global                             |
 * | `recursion`                | a function that calls itself by name                                            |
 *
 * `BigInt` also rejects bigint literals (`10n`). The check is syntactic: a local that shadows a forbidden global
 * is still reported, since the point is that a reader sees none of these names.
 */
import ts from 'typescript';
import { defineRule } from '../rule';

/** The JSON Schema pattern of one entry (spec.schema.json carries the same; a test keeps them equal). */
export const FORBID_PATTERN = '^([A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)?|\\.[A-Za-z_$][A-Za-z0-9_$]*|floating-point-division|locale-methods|regex|recursion)$';

const LOCALE_METHODS = ['toLocaleString', 'toLocaleUpperCase', 'toLocaleLowerCase', 'toLocaleDateString', 'toLocaleTimeString', 'localeCompare'];

interface Forbidden {
  globals: Map<string, string>;
  members: Map<string, string>;
  properties: Map<string, string>;
  division?: string;
  regex?: string;
  recursion?: string;
  bigintLiterals?: string;
}

/** Each entry becomes the checks it stands for; the value kept is the entry, for the message. */
export function compileForbid(forbid: readonly string[]): Forbidden {
  const rules: Forbidden = { globals: new Map(), members: new Map(), properties: new Map() };
  for (const entry of forbid) {
    if (entry === 'floating-point-division') rules.division = entry;
    else if (entry === 'regex') {
      rules.regex = entry;
      rules.globals.set('RegExp', entry);
    } else if (entry === 'recursion') rules.recursion = entry;
    else if (entry === 'locale-methods') {
      rules.globals.set('Intl', entry);
      for (const method of LOCALE_METHODS) rules.properties.set(method, entry);
    } else if (entry.startsWith('.')) rules.properties.set(entry.slice(1), entry);
    else if (entry.includes('.')) rules.members.set(entry, entry);
    else {
      rules.globals.set(entry, entry);
      if (entry === 'BigInt') rules.bigintLiterals = entry;
    }
  }
  return rules;
}

/** An identifier read as a value: not a property name, a declared member name or part of a type or import. */
function isValueUse(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isMethodDeclaration(parent) || ts.isPropertyDeclaration(parent) || ts.isPropertySignature(parent)) && parent.name === node) return false;
  if (ts.isQualifiedName(parent) || ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isTypeReferenceNode(parent)) return false;
  for (let current: ts.Node | undefined = parent; current; current = current.parent) {
    if (ts.isTypeNode(current) || ts.isInterfaceDeclaration(current) || ts.isTypeAliasDeclaration(current)) return false;
  }
  return true;
}

/** The names of the functions around `node` (declarations, and function values bound to a variable). */
function enclosingFunctionNames(node: ts.Node): string[] {
  const names: string[] = [];
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) {
    if ((ts.isFunctionDeclaration(current) || ts.isFunctionExpression(current) || ts.isMethodDeclaration(current)) && current.name && ts.isIdentifier(current.name)) {
      names.push(current.name.text);
    } else if ((ts.isArrowFunction(current) || ts.isFunctionExpression(current)) && ts.isVariableDeclaration(current.parent) && ts.isIdentifier(current.parent.name)) {
      names.push(current.parent.name.text);
    }
  }
  return names;
}

export const forbiddenApi = defineRule({
  id: 'forbidden-api',
  description: 'APIs the spec forbids in constraints.forbid (globals, members, methods, division, locale methods, regex, recursion)',
  create(context) {
    if (context.forbid.length === 0) return {};
    const rules = compileForbid(context.forbid);
    const report = (node: ts.Node, entry: string, what: string): void =>
      context.report(node, `${what} — the spec forbids \`${entry}\` (constraints.forbid); rewrite without it`);
    return {
      Identifier(node) {
        const identifier = node as ts.Identifier;
        const entry = rules.globals.get(identifier.text);
        if (entry && isValueUse(identifier)) report(node, entry, `uses ${identifier.text}`);
      },
      PropertyAccessExpression(node) {
        const access = node as ts.PropertyAccessExpression;
        const name = access.name.text;
        const path = ts.isIdentifier(access.expression) ? `${access.expression.text}.${name}` : undefined;
        const member = path ? rules.members.get(path) : undefined;
        if (member) report(node, member, `uses ${path}`);
        else if (rules.properties.has(name)) report(access.name, rules.properties.get(name)!, `uses .${name}`);
      },
      ElementAccessExpression(node) {
        const access = node as ts.ElementAccessExpression;
        const key = access.argumentExpression;
        if (ts.isStringLiteralLike(key) && rules.properties.has(key.text)) report(key, rules.properties.get(key.text)!, `uses ["${key.text}"]`);
      },
      BigIntLiteral(node) {
        if (rules.bigintLiterals) report(node, rules.bigintLiterals, `uses the bigint literal ${(node as ts.BigIntLiteral).text}`);
      },
      RegularExpressionLiteral(node) {
        if (rules.regex) report(node, rules.regex, `uses the regular expression ${(node as ts.RegularExpressionLiteral).text.slice(0, 60)}`);
      },
      BinaryExpression(node) {
        const binary = node as ts.BinaryExpression;
        const kind = binary.operatorToken.kind;
        if (rules.division && (kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken)) {
          report(binary.operatorToken, rules.division, `divides with \`${binary.operatorToken.getText(context.sourceFile)}\` (${binary.getText(context.sourceFile).slice(0, 60)})`);
        }
      },
      CallExpression(node) {
        const call = node as ts.CallExpression;
        if (rules.recursion && ts.isIdentifier(call.expression) && enclosingFunctionNames(call).includes(call.expression.text)) {
          report(node, rules.recursion, `${call.expression.text} calls itself`);
        }
      },
    };
  },
});
