import { describe, expect, it } from 'vitest';
import { parseSpec } from '../parse';
import type { ResolvedSpec } from '../types';
import { formatLintReport, lintSpec, type LintContext } from './lint';

// A deliberately vague spec: every kind of imprecision the lint knows, each on a line of its own.
const VAGUE = `id: shop/discount
description: |
  Apply a discount to a price. Round with \`roundHalfEven\` from the money library.
outputs: [discount.ts, discount-table.ts]
exports:
  - name: applyDiscount
    params:
      - name: price
        schema: { type: integer }
      - name: percent
        schema: { type: integer, minimum: 0, maximum: 100 }
    returns:
      schema: { type: integer, minimum: 0 }
    throws: [RangeError]
  - name: discountCodes
    params:
      - name: codes
        schema: { type: array, items: { type: string } }
    returns:
      schema: { type: array, items: { type: string, maxLength: 20 }, maxItems: 10 }
constraints:
  rules:
    - Be careful with money.
    - Do not mutate the codes argument.
examples:
  - { export: applyDiscount, args: [1000, 10], expect: 900 }
tests: [discount.test.ts, missing.test.ts]
dependsOn: [money/round]
`;

const ROUND = `id: money/round
description: Rounds.
outputs: [round.ts]
exports:
  - name: roundHalfEven
    params:
      - { name: numerator, schema: { type: integer, minimum: -100, maximum: 100 } }
      - { name: denominator, schema: { type: integer, minimum: 1, maximum: 100 } }
    returns: { schema: { type: integer, minimum: -100, maximum: 100 } }
    throws: [RangeError]
  - name: divideRounded
    params: []
    returns: { schema: { type: integer, minimum: 0, maximum: 1 } }
examples:
  - { export: roundHalfEven, args: [1, 1], expect: 1 }
`;

function resolved(source: string, file: string, project: string): ResolvedSpec {
  return { ...parseSpec(source, { file, projectRoot: `libs/${project}`, project }), contracts: {} };
}

function context(files: Record<string, string>, specs: ResolvedSpec[]): LintContext {
  return { specsById: new Map(specs.map((spec) => [spec.spec.id, spec])), readFile: (file) => files[file], projectTests: () => [] };
}

describe('lint', () => {
  const round = resolved(ROUND, 'libs/money/src/round.spec.yaml', 'money');
  const vague = resolved(VAGUE, 'libs/shop/src/discount.spec.yaml', 'shop');
  const tests = { 'libs/shop/src/discount.test.ts': "import { applyDiscount } from './discount';\nit('does not mutate the codes argument', () => {});\n" };
  const result = lintSpec(vague, context(tests, [round, vague]));
  const at = (rule: string) => result.findings.filter((finding) => finding.rule === rule).map((finding) => `${finding.line}:${finding.column}`);

  it('flags each imprecision at its line and column', () => {
    expect(at('unbounded-number')).toEqual(['9:17', '13:15']); // price: no bounds; returns: no maximum
    expect(at('unbounded-array')).toEqual(['18:17']);
    expect(at('unbounded-string')).toEqual(['18:39']);
    expect(at('export-without-example')).toEqual(['15:11']);
    expect(at('throws-without-example')).toEqual(['14:14']);
    // percent: 10 is neither 0 nor 100, and no example throws just past them
    expect(at('bound-not-reached')).toEqual(['11:43', '11:55']);
    expect(at('rule-not-checkable')).toEqual(['23:7']); // "Be careful with money."; the mutation rule has a test
    expect(at('missing-test-file')).toEqual(['27:27']);
    expect(at('output-without-test')).toEqual(['4:24']); // discount-table.ts; discount.ts is imported by the test
    // roundHalfEven throws RangeError: declared here, so the edge lines up; the description names it, so it is used
    expect(at('dependency-unused')).toEqual([]);
    expect(at('dependency-error-undeclared')).toEqual([]);
  });

  it('gives errors and warnings a fix each and a score of checks passed', () => {
    for (const finding of result.findings) expect(finding.fix.length).toBeGreaterThan(10);
    expect(result.checks).toBe(result.passed + result.findings.length);
    expect(result.score).toBe(Math.round((100 * result.passed) / result.checks));
    const report = formatLintReport([result]);
    expect(report).toContain('libs/shop/src/discount.spec.yaml:14:14: error throws-without-example');
    expect(report).toMatch(/shop\/discount\s+\d+\s+\(\d+\/\d+\)/);
  });

  it('checks dependsOn edges both ways', () => {
    const silent = resolved(VAGUE.replace('Round with `roundHalfEven` from the money library.', 'Round it.').replace('throws: [RangeError]', 'throws: []'), 'libs/shop/src/discount.spec.yaml', 'shop');
    const edges = lintSpec(silent, context(tests, [round, silent])).findings.map((finding) => `${finding.rule}@${finding.line}`);
    expect(edges).toContain('dependency-unused@28');
    const noEdge = resolved(VAGUE.replace('dependsOn: [money/round]\n', '').replace('throws: [RangeError]', 'throws: []'), 'libs/shop/src/discount.spec.yaml', 'shop');
    const missing = lintSpec(noEdge, context(tests, [round, noEdge])).findings.filter((finding) => finding.rule === 'dependency-undeclared');
    expect(missing.map((finding) => `${finding.line}:${finding.column}`)).toEqual(['3:43']);
    const undeclared = resolved(VAGUE.replace('throws: [RangeError]', 'throws: []'), 'libs/shop/src/discount.spec.yaml', 'shop');
    expect(lintSpec(undeclared, context(tests, [round, undeclared])).findings.map((finding) => finding.rule)).toContain('dependency-error-undeclared');
  });

  it('counts an example on a bound, or just past it that throws, as reaching it', () => {
    const pinned = resolved(
      VAGUE.replace('  - { export: applyDiscount, args: [1000, 10], expect: 900 }', '  - { export: applyDiscount, args: [1000, 0], expect: 1000 }\n  - { export: applyDiscount, args: [1000, 101], throws: RangeError }'),
      'libs/shop/src/discount.spec.yaml',
      'shop',
    );
    const findings = lintSpec(pinned, context(tests, [round, pinned])).findings;
    expect(findings.filter((finding) => finding.rule === 'bound-not-reached')).toEqual([]);
    expect(findings.filter((finding) => finding.rule === 'throws-without-example')).toEqual([]);
  });
});
