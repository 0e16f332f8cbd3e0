import type { ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validatorFor } from '../ajv-cache';
import { SpecwrightError } from '../errors';
import { formatPath, isYamlMapping, mostSpecificError, parseYamlDocument, pathSegments, positionOfKey, positionOfPath, positionOfSchemaError } from '../yaml-source';
import { readTextIfExists } from '../fs-utils';
import type { Finding } from '../types';

/** Workspace-relative, fixed: one policy per workspace, next to the spec schema. */
export const POLICY_FILE = 'specs/policy.yaml';
const POLICY_HELP = 'the policy format is described in tools/specwright/policy.schema.json';

/**
 * Where generated code may live and who reviews it. Globs are picomatch globs over workspace-relative paths
 * with `/` (dotfiles included).
 */
export interface Policy {
  /** The policy file, workspace-relative; `undefined` when the workspace has none (everything is allowed). */
  file?: string;
  generated: string[];
  humanOnly: string[];
  /** Glob → e-mail addresses (`a@b.c`) or domains (`@b.c`) that may approve a matching generated file. */
  reviewers: Record<string, string[]>;
  /** ci-check requires each review record to be committed in a commit signed by the reviewer (see signing.ts). */
  requireSignedReviews?: boolean;
  /** `file:line:column` of each rule, keyed `generated[0]`, `humanOnly[1]`, `reviewers.<glob>`, for messages. */
  locations?: Record<string, string>;
}

export interface PolicyFinding extends Finding {
  file: string;
  rule: 'generated' | 'humanOnly' | 'reviewers';
  glob?: string;
  /** The edit or command that resolves it. */
  fix: string;
}

/** No policy file: generated code is allowed everywhere and anyone may review it. */
export function defaultPolicy(): Policy {
  return { generated: ['**'], humanOnly: [], reviewers: {} };
}

/** The workspace's policy (`specs/policy.yaml`), or the default when there is none. Invalid policies throw. */
export function loadPolicy(workspaceRoot: string): Policy {
  const source = readTextIfExists(join(workspaceRoot, POLICY_FILE));
  return source === undefined ? defaultPolicy() : parsePolicy(source, POLICY_FILE);
}

let cachedValidator: ValidateFunction | undefined;

export const POLICY_SCHEMA_AJV_OPTIONS = { allErrors: true, strict: true, validateSchema: false } as const;

function policyValidator(): ValidateFunction {
  if (!cachedValidator) {
    // Made on first use: the pre-commit hook reads policies from its cache and never pays for ajv. Compiled once per
    // schema and ajv version (ajv-cache.ts); the shipped schema is checked against the meta-schema by policy.test.ts.
    cachedValidator = validatorFor(readFileSync(require.resolve('../../policy.schema.json'), 'utf8'), POLICY_SCHEMA_AJV_OPTIONS);
  }
  return cachedValidator;
}

/** Parses and validates a policy; errors name `file:line:column`, what was expected and how to fix it. */
export function parsePolicy(source: string, file: string): Policy {
  const fail = (message: string, position: { line: number; column: number }, expected: string): never => {
    throw new SpecwrightError(message, { file, line: position.line, column: position.column, expected, fix: `edit ${file}; ${POLICY_HELP}`, code: 'POLICY_INVALID' });
  };
  const parsed = parseYamlDocument(source);
  if (parsed.syntaxError) {
    fail(`YAML syntax error: ${parsed.syntaxError.message}`, parsed.syntaxError.position, 'valid YAML (spaces for indentation, no duplicate keys)');
  }
  const { doc } = parsed;
  if (!isYamlMapping(doc.contents)) {
    fail('policy must be a YAML mapping', { line: 1, column: 1 }, 'a mapping with `generated` and optionally `humanOnly` and `reviewers`');
  }
  const data = doc.toJS({ maxAliasCount: 20 }) as unknown;
  const validate = policyValidator();
  if (!validate(data)) {
    const error = mostSpecificError(validate.errors ?? []);
    const path = pathSegments(error.instancePath);
    const params = error.params as Record<string, unknown>;
    const where = path.length ? `${formatPath(path)}: ` : '';
    const position = positionOfSchemaError(parsed, error);
    switch (error.keyword) {
      case 'additionalProperties':
        fail(`${where}unknown field "${String(params.additionalProperty)}"`, position, 'only generated, humanOnly and reviewers (and requireSignedReviews)');
        break;
      case 'required':
        fail(`${where}missing required field "${String(params.missingProperty)}"`, position, `a "${String(params.missingProperty)}" list of globs`);
        break;
      case 'pattern':
        fail(`${where}"${String(doc.getIn(path))}" is neither an e-mail address nor a domain`, position, 'a@b.c or @b.c');
        break;
      default:
        fail(`${where}${error.message ?? 'is invalid'}`, position, `${error.keyword} ${JSON.stringify(params)}`);
    }
  }
  const raw = data as { generated: string[]; humanOnly?: string[]; reviewers?: Record<string, string[]>; requireSignedReviews?: boolean };
  const locations: Record<string, string> = {};
  const at = (path: (string | number)[]) => {
    const pos = positionOfPath(parsed, path);
    return `${file}:${pos.line}:${pos.column}`;
  };
  raw.generated.forEach((_, index) => (locations[`generated[${index}]`] = at(['generated', index])));
  (raw.humanOnly ?? []).forEach((_, index) => (locations[`humanOnly[${index}]`] = at(['humanOnly', index])));
  for (const glob of Object.keys(raw.reviewers ?? {})) {
    const pos = positionOfKey(parsed, ['reviewers'], glob);
    locations[`reviewers.${glob}`] = `${file}:${pos.line}:${pos.column}`;
  }
  return { file, generated: raw.generated, humanOnly: raw.humanOnly ?? [], reviewers: raw.reviewers ?? {}, ...(raw.requireSignedReviews ? { requireSignedReviews: true } : {}), locations };
}

const matchers = new Map<string, (path: string) => boolean>();

function matches(glob: string, file: string): boolean {
  let matcher = matchers.get(glob);
  if (!matcher) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const picomatch = require('picomatch') as typeof import('picomatch');
    matcher = picomatch(glob, { dot: true });
    matchers.set(glob, matcher);
  }
  return matcher(file);
}

function where(policy: Policy, key: string): string {
  return policy.locations?.[key] ?? policy.file ?? POLICY_FILE;
}

/**
 * Whether Specwright may write these (workspace-relative) files: each one must match a `generated` glob and no
 * `humanOnly` glob. Returns one finding per refused file; empty when all are allowed.
 */
export function checkGenerationAllowed(policy: Policy, workspaceRelativeOutputFiles: readonly string[]): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const policyFile = policy.file ?? POLICY_FILE;
  for (const file of workspaceRelativeOutputFiles) {
    const humanOnly = policy.humanOnly.findIndex((glob) => matches(glob, file));
    if (humanOnly >= 0) {
      const glob = policy.humanOnly[humanOnly] as string;
      findings.push({
        file,
        rule: 'humanOnly',
        glob,
        message: `${file} is human-only code (humanOnly "${glob}" at ${where(policy, `humanOnly[${humanOnly}]`)}); Specwright does not generate it`,
        fix: `write ${file} by hand and remove it from the spec's outputs, or change ${policyFile} (with its owners' review)`,
      });
      continue;
    }
    if (!policy.generated.some((glob) => matches(glob, file))) {
      findings.push({
        file,
        rule: 'generated',
        message: `${file} is outside the folders where generated code is allowed (generated: ${policy.generated.map((g) => `"${g}"`).join(', ')} in ${policyFile})`,
        fix: `move the output under one of those globs (edit the spec's outputs), or add a glob to \`generated\` in ${policyFile}`,
      });
    }
  }
  return findings;
}

export interface ReviewerRule {
  glob: string;
  allowed: string[];
  location: string;
}

/** The reviewer rules that apply to a file: an approver must satisfy every one of them. */
export function reviewerRules(policy: Policy, file: string): ReviewerRule[] {
  return Object.entries(policy.reviewers)
    .filter(([glob]) => matches(glob, file))
    .map(([glob, allowed]) => ({ glob, allowed, location: where(policy, `reviewers.${glob}`) }));
}

export function reviewerMatches(email: string, allowed: string): boolean {
  const who = email.trim().toLowerCase();
  const entry = allowed.trim().toLowerCase();
  return entry.startsWith('@') ? who.endsWith(entry) : who === entry;
}

/** Whether `email` may approve `file`; when not, a finding that names the rule and who may. */
export function checkReviewer(policy: Policy, file: string, email: string): PolicyFinding | undefined {
  const unmet = reviewerRules(policy, file).filter((rule) => !rule.allowed.some((allowed) => reviewerMatches(email, allowed)));
  if (unmet.length === 0) return undefined;
  const needs = unmet.map((rule) => `one of ${rule.allowed.join(', ')} ("${rule.glob}" at ${rule.location})`).join(' and ');
  return {
    file,
    rule: 'reviewers',
    glob: (unmet[0] as ReviewerRule).glob,
    message: `${file} must be reviewed by ${needs}; ${email || 'nobody'} is not`,
    fix: `ask a required reviewer to run \`npx specwright review ${file}\``,
  };
}
