import Ajv from 'ajv';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecwrightError } from '../errors';
import { checkGenerationAllowed, checkReviewer, defaultPolicy, loadPolicy, parsePolicy, POLICY_SCHEMA_AJV_OPTIONS, reviewerMatches, type Policy } from './policy';

const REPO_ROOT = resolve(__dirname, '../../../..');

const errorOf = (source: string): SpecwrightError => {
  try {
    parsePolicy(source, 'specs/policy.yaml');
  } catch (error) {
    return error as SpecwrightError;
  }
  throw new Error('expected the policy to be refused');
};

describe('policy', () => {
  it('ships a policy schema that is valid draft-07 (the parser compiles it without checking that again)', () => {
    const ajv = new Ajv({ ...POLICY_SCHEMA_AJV_OPTIONS, validateSchema: true });
    const schema = JSON.parse(readFileSync(join(__dirname, '../../policy.schema.json'), 'utf8')) as object;
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it("validates the workspace's own specs/policy.yaml", () => {
    const policy = loadPolicy(REPO_ROOT);
    expect(policy.file).toBe('specs/policy.yaml');
    expect(policy.generated.length).toBeGreaterThan(0);
    expect(policy.humanOnly).toContain('**/auth/**');
    // The workspace's generated files are allowed by it.
    expect(checkGenerationAllowed(policy, ['libs/money/src/round.ts', 'apps/invoice-cli/src/totals.ts'])).toEqual([]);
  });

  it('is permissive when the workspace has no policy file', () => {
    const root = mkdtempSync(join(tmpdir(), 'specwright-policy-'));
    try {
      expect(loadPolicy(root)).toEqual(defaultPolicy());
      expect(checkGenerationAllowed(loadPolicy(root), ['anything/at/all.ts'])).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names file:line:column, what was expected and the fix for schema errors', () => {
    const unknown = errorOf('generated: ["libs/*/src/**"]\nhumanOnly: []\nreviwers: {}\n');
    expect(unknown.location).toBe('specs/policy.yaml:3:1');
    expect(unknown.message).toBe('unknown field "reviwers"');
    expect(unknown.expected).toMatch(/generated, humanOnly and reviewers/);
    expect(unknown.fix).toMatch(/policy.schema.json/);

    const missing = errorOf('humanOnly: ["**/auth/**"]\n');
    expect(missing.message).toMatch(/missing required field "generated"/);
    expect(missing.line).toBe(1);

    const reviewer = errorOf('generated: ["**"]\nreviewers:\n  "libs/money/**":\n    - alice\n');
    expect(reviewer.location).toBe('specs/policy.yaml:4:7');
    expect(reviewer.message).toBe('reviewers["libs/money/**"][0]: "alice" is neither an e-mail address nor a domain');

    const notAList = errorOf('generated: "libs/**"\n');
    expect(notAList.location).toBe('specs/policy.yaml:1:12');
    expect(notAList.message).toMatch(/^generated: must be array/);

    const syntax = errorOf('generated:\n  - "a\n  - b\n');
    expect(syntax.message).toMatch(/YAML syntax error/);
    expect(syntax.line).toBeGreaterThan(1);
  });

  it('refuses outputs outside `generated` and inside `humanOnly`, humanOnly first', () => {
    const policy = parsePolicy('generated: ["libs/*/src/**"]\nhumanOnly: ["**/auth/**", "**/payments/**"]\n', 'specs/policy.yaml');
    const findings = checkGenerationAllowed(policy, ['libs/a/src/ok.ts', 'libs/a/src/auth/session.ts', 'tools/x/gen.ts', 'libs/a/src/.hidden/x.ts']);
    expect(findings.map((f) => [f.file, f.rule])).toEqual([
      ['libs/a/src/auth/session.ts', 'humanOnly'],
      ['tools/x/gen.ts', 'generated'],
    ]);
    expect(findings[0]?.message).toContain('humanOnly "**/auth/**" at specs/policy.yaml:2:13');
    expect(findings[1]?.fix).toMatch(/edit the spec's outputs/);
  });

  it('requires a reviewer who satisfies every matching rule', () => {
    const policy: Policy = parsePolicy('generated: ["**"]\nreviewers:\n  "libs/money/**": ["@fin.example.com", "cfo@example.com"]\n  "**/round.ts": ["@example.com", "@fin.example.com"]\n', 'specs/policy.yaml');
    expect(reviewerMatches('Ann@Fin.Example.com', '@fin.example.com')).toBe(true);
    expect(reviewerMatches('ann@notfin.example.com', '@fin.example.com')).toBe(false);
    expect(checkReviewer(policy, 'libs/text/src/slugify.ts', 'anyone@else.org')).toBeUndefined();
    expect(checkReviewer(policy, 'libs/money/src/format.ts', 'cfo@example.com')).toBeUndefined();
    expect(checkReviewer(policy, 'libs/money/src/round.ts', 'ann@fin.example.com')).toBeUndefined();
    expect(checkReviewer(policy, 'libs/money/src/round.ts', 'cfo@example.com')).toBeUndefined(); // @example.com covers the second rule
    const other = checkReviewer(policy, 'libs/money/src/round.ts', 'bob@example.com');
    expect(other?.message).toContain('must be reviewed by one of @fin.example.com, cfo@example.com ("libs/money/**" at specs/policy.yaml:3:3)');
    expect(other?.message).toContain('bob@example.com is not');
  });
});
