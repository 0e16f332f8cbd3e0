import { describe, expect, it } from 'vitest';
import { parseSpec } from '../parse';
import type { FingerprintedSpec } from '../types';
import { checkBoundaries } from './boundaries';

function spec(source: string, file: string, resolved: Record<string, unknown> = {}): FingerprintedSpec {
  const parsed = parseSpec(source, { file, projectRoot: 'libs/demo', project: 'demo' });
  const contracts: Record<string, unknown> = { ...resolved };
  for (const entry of parsed.spec.exports) {
    for (const param of entry.params) contracts[`${entry.name}.params.${param.name}`] ??= param.schema;
    contracts[`${entry.name}.returns`] ??= entry.returns.schema;
  }
  return { ...parsed, contracts: contracts as FingerprintedSpec['contracts'], fingerprint: 'sha256:test' };
}

const CORE = `id: demo/core
description: Applies an amount.
outputs: [core.ts]
exports:
  - name: apply
    params:
      - { name: amount, schema: { type: integer, minimum: 0, maximum: 1000 } }
    returns: { schema: { type: integer } }
`;

const user = (minimum: number) => `id: demo/user
description: Uses core.
outputs: [user.ts]
dependsOn: [demo/core]
exports:
  - name: refund
    params:
      - { name: amount, schema: { type: integer, minimum: ${minimum}, maximum: 1000 } }
    returns: { schema: { type: integer } }
`;

describe('checkBoundaries', () => {
  it('finds a value one spec may pass on that the spec it depends on refuses', () => {
    const report = checkBoundaries([spec(CORE, 'libs/demo/src/core.spec.yaml'), spec(user(-1000), 'libs/demo/src/user.spec.yaml')]);
    expect(report.checked).toBe(1);
    expect(report.findings).toHaveLength(1);
    const finding = report.findings[0]!;
    expect(finding).toMatchObject({ from: 'demo/user', to: 'demo/core', edge: 'demo/user refund.params.amount → demo/core apply.params.amount' });
    expect(finding.counterexample as number).toBeLessThan(0);
    expect(finding.message).toContain('must be >= 0');
  });

  it('is quiet when the contracts agree', () => {
    const report = checkBoundaries([spec(CORE, 'libs/demo/src/core.spec.yaml'), spec(user(0), 'libs/demo/src/user.spec.yaml')]);
    expect(report).toMatchObject({ checked: 1, findings: [] });
  });

  it('checks a result passed to another spec through hand-written glue when both name the same type', () => {
    const parser = `id: demo/parse
description: Parses.
outputs: [parse.ts]
types: ./demo.types.ts
exports:
  - name: parse
    params:
      - { name: text, schema: { type: string } }
    returns: { type: Lines }
`;
    const totals = `id: demo/totals
description: Sums.
outputs: [totals.ts]
types: ./demo.types.ts
exports:
  - name: total
    params:
      - { name: lines, type: Lines }
    returns: { schema: { type: integer } }
`;
    const lines = (minimum: number) => ({ type: 'array', items: { type: 'integer', minimum, maximum: 100 } });
    const report = checkBoundaries([
      spec(parser, 'libs/demo/src/parse.spec.yaml', { 'parse.returns': lines(-100) }),
      spec(totals, 'libs/demo/src/totals.spec.yaml', { 'total.params.lines': lines(0) }),
    ]);
    expect(report.checked).toBe(1);
    expect(report.findings[0]).toMatchObject({ from: 'demo/parse', to: 'demo/totals', edge: 'demo/parse parse.returns → demo/totals total.params.lines' });
  });
});
