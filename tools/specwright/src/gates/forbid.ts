/**
 * The safety gate's `forbid` rule: the machine-checkable part of a spec's prose constraints. Each entry of
 * `constraints.forbid` is one of:
 *
 * | entry                      | rejects                                                                         |
 * |----------------------------|---------------------------------------------------------------------------------|
 * | `Name` (a global)          | every value reference to that global: `BigInt`, `Intl`, `Date`, `JSON`, `Proxy` |
 * | `Name.member`              | that member of a global, read or called: `Math.round`, `Number.parseFloat`      |
 * | `.member`                  | a property or method of that name on any value: `.toFixed`, `.localeCompare`   |
 * | `floating-point-division`  | the `/` and `/=` operators (use `%` and subtraction on integers)                |
 * | `locale-methods`           | `Intl` and every locale-sensitive method (`toLocale*`, `localeCompare`)         |
 * | `regex`                    | regular expression literals and the `RegExp` global                             |
 * | `recursion`                | a function that calls itself by name                                            |
 *
 * `BigInt` also rejects bigint literals (`10n`). Checks are syntactic, on the candidate's own files; a name a
 * candidate declares itself (a local `Date` variable) is still reported, since the point is that a reader sees
 * none of these names.
 */
import ts from 'typescript';
import type { Finding } from '../types';
import { isCodeFile } from './util';

export const FORBID_CLASSES = ['floating-point-division', 'locale-methods', 'regex', 'recursion'] as const;
/** The JSON Schema pattern of one `forbid` entry (kept in spec.schema.json; tested against this one). */
export const FORBID_PATTERN = '^([A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)?|\\.[A-Za-z_$][A-Za-z0-9_$]*|floating-point-division|locale-methods|regex|recursion)$';

const LOCALE_METHODS = ['toLocaleString', 'toLocaleUpperCase', 'toLocaleLowerCase', 'toLocaleDateString', 'toLocaleTimeString', 'localeCompare'];

export interface ForbidFinding extends Finding {
  rule: 'forbidden-api';
  file: string;
  line: number;
  column: number;
}

interface Rules {
  globals: Map<string, string>;
  members: Map<string, string>;
  properties: Map<string, string>;
  division?: string;
  regex?: string;
  recursion?: string;
  bigintLiterals?: string;
}

function compile(forbid: readonly string[]): Rules {
  const rules: Rules = { globals: new Map(), members: new Map(), properties: new Map() };
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

/** Findings for every use of a forbidden API in the candidate's code files. */
export function checkForbiddenApis(files: ReadonlyMap<string, string>, forbid: readonly string[] | undefined): ForbidFinding[] {
  if (!forbid || forbid.length === 0) return [];
  const rules = compile(forbid);
  const findings: ForbidFinding[] = [];
  for (const [file, content] of files) {
    if (!isCodeFile(file)) continue;
    const sf = ts.createSourceFile(file, content, ts.ScriptTarget.Latest, true, /\.(js|mjs|cjs)$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS);
    const report = (node: ts.Node, entry: string, what: string): void => {
      const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      findings.push({
        rule: 'forbidden-api',
        file,
        line: line + 1,
        column: character + 1,
        message: `${file}:${line + 1}:${character + 1} forbidden-api: ${what} — the spec forbids \`${entry}\` (constraints.forbid); rewrite without it`,
      });
    };
    const functionStack: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isTypeNode(node) || ts.isImportDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
      if (ts.isIdentifier(node) && rules.globals.has(node.text) && isValueUse(node)) report(node, rules.globals.get(node.text)!, `uses ${node.text}`);
      if (ts.isPropertyAccessExpression(node)) {
        const name = node.name.text;
        const path = ts.isIdentifier(node.expression) ? `${node.expression.text}.${name}` : undefined;
        if (path && rules.members.has(path)) report(node, rules.members.get(path)!, `uses ${path}`);
        else if (rules.properties.has(name)) report(node.name, rules.properties.get(name)!, `uses .${name}`);
      }
      if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression) && rules.properties.has(node.argumentExpression.text)) {
        report(node.argumentExpression, rules.properties.get(node.argumentExpression.text)!, `uses ["${node.argumentExpression.text}"]`);
      }
      if (rules.bigintLiterals && ts.isBigIntLiteral(node)) report(node, rules.bigintLiterals, `uses the bigint literal ${node.text}`);
      if (rules.regex && ts.isRegularExpressionLiteral(node)) report(node, rules.regex, `uses the regular expression ${node.text.slice(0, 60)}`);
      if (
        rules.division &&
        ts.isBinaryExpression(node) &&
        (node.operatorToken.kind === ts.SyntaxKind.SlashToken || node.operatorToken.kind === ts.SyntaxKind.SlashEqualsToken)
      ) {
        report(node.operatorToken, rules.division, `divides with \`${node.operatorToken.getText(sf)}\` (${node.getText(sf).slice(0, 60)})`);
      }
      const named = functionName(node);
      if (named !== undefined) functionStack.push(named);
      if (rules.recursion && ts.isCallExpression(node) && ts.isIdentifier(node.expression) && functionStack.includes(node.expression.text)) {
        report(node, rules.recursion, `${node.expression.text} calls itself`);
      }
      ts.forEachChild(node, visit);
      if (named !== undefined) functionStack.pop();
    };
    visit(sf);
  }
  return findings;
}

function functionName(node: ts.Node): string | undefined {
  if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node)) && node.name && ts.isIdentifier(node.name)) return node.name.text;
  if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)) return node.parent.name.text;
  return undefined;
}

/** An identifier read as a value: not a property name, a declaration's name or part of a type. */
function isValueUse(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isMethodDeclaration(parent) || ts.isPropertyDeclaration(parent)) && parent.name === node) return false;
  if (ts.isQualifiedName(parent) || ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) return false;
  return true;
}
