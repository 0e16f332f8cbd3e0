/**
 * The specs of the synthetic workspace: small real functions with contracts and examples, and their known-correct
 * implementations (what the fake model answers). Five kinds, cycled, so that the gates see different code.
 */

export interface SyntheticSpec {
  /** e.g. `p003/f0123`. */
  id: string;
  index: number;
  /** Project name and workspace-relative root, e.g. `p003`, `libs/p003`. */
  project: string;
  projectRoot: string;
  /** Workspace-relative spec file. */
  file: string;
  /** The output, relative to the spec. */
  output: string;
  /** Workspace-relative vitest file beside the output (it imports the output: the tests gate finds it). */
  testFile: string;
  /** Its content: the spec's examples as assertions, as an engineer would write them. */
  test: string;
  /** The implementation the model answers with (no header). */
  implementation: string;
  /** The spec text; `revision` > 1 changes the description (the spec becomes stale). */
  yaml(revision?: number): string;
}

interface Kind {
  name: string;
  description: string;
  params: { name: string; schema: string }[];
  returns: string;
  examples: { args: unknown[]; expect: unknown }[];
  body: string;
}

function kindOf(index: number): Kind {
  const lo = -(index % 97) - 10;
  const hi = (index % 89) + 10;
  const factor = (index % 7) + 2;
  switch (index % 5) {
    case 0:
      return {
        name: `clamp${index}`,
        description: `Clamp an integer into the closed range [${lo}, ${hi}]: values below go to ${lo}, values above to ${hi}.`,
        params: [{ name: 'value', schema: '{ type: integer, minimum: -1000000, maximum: 1000000 }' }],
        returns: `{ type: integer, minimum: ${lo}, maximum: ${hi} }`,
        examples: [
          { args: [lo - 5], expect: lo },
          { args: [0], expect: 0 },
          { args: [hi + 1], expect: hi },
        ],
        body: `(value: number): number {\n  return Math.min(Math.max(value, ${lo}), ${hi});\n}`,
      };
    case 1:
      return {
        name: `gcd${index}`,
        description: 'The greatest common divisor of two non-negative integers (Euclid); gcd(0, 0) is 0.',
        params: [
          { name: 'a', schema: '{ type: integer, minimum: 0, maximum: 1000000 }' },
          { name: 'b', schema: '{ type: integer, minimum: 0, maximum: 1000000 }' },
        ],
        returns: '{ type: integer, minimum: 0, maximum: 1000000 }',
        examples: [
          { args: [12, 18], expect: 6 },
          { args: [0, 7], expect: 7 },
          { args: [0, 0], expect: 0 },
        ],
        body: `(a: number, b: number): number {\n  let x = a;\n  let y = b;\n  while (y !== 0) {\n    const rest = x % y;\n    x = y;\n    y = rest;\n  }\n  return x;\n}`,
      };
    case 2:
      return {
        name: `digitSum${index}`,
        description: 'The sum of the decimal digits of a non-negative integer.',
        params: [{ name: 'n', schema: '{ type: integer, minimum: 0, maximum: 1000000000 }' }],
        returns: '{ type: integer, minimum: 0, maximum: 90 }',
        examples: [
          { args: [0], expect: 0 },
          { args: [1234], expect: 10 },
          { args: [999999999], expect: 81 },
        ],
        body: `(n: number): number {\n  let rest = n;\n  let sum = 0;\n  while (rest > 0) {\n    sum += rest % 10;\n    rest = Math.floor(rest / 10);\n  }\n  return sum;\n}`,
      };
    case 3:
      return {
        name: `roundHalfEven${index}`,
        description: 'Round numerator/denominator to the nearest integer; ties go to the even neighbour.',
        params: [
          { name: 'numerator', schema: '{ type: integer, minimum: -1000000, maximum: 1000000 }' },
          { name: 'denominator', schema: '{ type: integer, minimum: 1, maximum: 1000 }' },
        ],
        returns: '{ type: integer }',
        examples: [
          { args: [5, 2], expect: 2 },
          { args: [7, 2], expect: 4 },
          { args: [-5, 2], expect: -2 },
        ],
        body: `(numerator: number, denominator: number): number {\n  const quotient = Math.floor(numerator / denominator);\n  const twice = (numerator - quotient * denominator) * 2;\n  if (twice < denominator) return quotient;\n  if (twice > denominator) return quotient + 1;\n  return quotient % 2 === 0 ? quotient : quotient + 1;\n}`,
      };
    default:
      return {
        name: `scale${index}`,
        description: `Multiply an integer by ${factor}.`,
        params: [{ name: 'value', schema: '{ type: integer, minimum: -1000000, maximum: 1000000 }' }],
        returns: `{ type: integer, minimum: ${-1_000_000 * factor}, maximum: ${1_000_000 * factor} }`,
        examples: [
          { args: [0], expect: 0 },
          { args: [3], expect: 3 * factor },
          { args: [-2], expect: -2 * factor },
        ],
        body: `(value: number): number {\n  return value * ${factor};\n}`,
      };
  }
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

export function projectName(projectIndex: number): string {
  return `p${pad(projectIndex, 3)}`;
}

/** `count` specs spread round-robin over `projects` projects. */
export function syntheticSpecs(count: number, projects: number): SyntheticSpec[] {
  return Array.from({ length: count }, (_, index) => {
    const project = projectName(index % projects);
    const name = `f${pad(index, 4)}`;
    const kind = kindOf(index);
    const projectRoot = `libs/${project}`;
    return {
      id: `${project}/${name}`,
      index,
      project,
      projectRoot,
      file: `${projectRoot}/src/${name}.spec.yaml`,
      output: `${name}.ts`,
      testFile: `${projectRoot}/src/${name}.test.ts`,
      test: [
        "import { describe, expect, it } from 'vitest';",
        `import { ${kind.name} } from './${name}';`,
        '',
        `describe('${kind.name}', () => {`,
        "  it('gives the documented results', () => {",
        ...kind.examples.map((example) => `    expect(${kind.name}(${example.args.map((arg) => JSON.stringify(arg)).join(', ')})).toBe(${JSON.stringify(example.expect)});`),
        '  });',
        '});',
        '',
      ].join('\n'),
      implementation: `export function ${kind.name}${kind.body}\n`,
      yaml: (revision = 1) =>
        [
          '# yaml-language-server: $schema=../../../specs/spec.schema.json',
          `id: ${project}/${name}`,
          'description: |',
          `  ${kind.description}`,
          `  Spec ${index} of the synthetic benchmark workspace.${revision > 1 ? ` Revision ${revision}.` : ''}`,
          `outputs: [${name}.ts]`,
          'exports:',
          `  - name: ${kind.name}`,
          '    params:',
          ...kind.params.map((param) => `      - name: ${param.name}\n        schema: ${param.schema}`),
          '    returns:',
          `      schema: ${kind.returns}`,
          'constraints:',
          '  pure: true',
          'examples:',
          ...kind.examples.map((example) => `  - export: ${kind.name}\n    args: ${JSON.stringify(example.args)}\n    expect: ${JSON.stringify(example.expect)}`),
          '',
        ].join('\n'),
    };
  });
}
