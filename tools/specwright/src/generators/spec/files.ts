import { generateFix, type TargetNames } from '../../fix-commands';
import { DEFAULT_OPTIONS } from '../../options';

/** The text of a new spec and its test file: a commented skeleton that is valid against spec.schema.json as written. */

export interface SpecSkeleton {
  id: string;
  /** File name without extension, e.g. `allocate`. */
  name: string;
  exportName: string;
  description?: string;
  /** Path from the spec's folder to spec.schema.json. */
  schemaPath: string;
  /** Workspace-relative spec file and project name, for the comment that says how to regenerate. */
  specFile: string;
  project: string;
  /** `allocate.test.ts`, or undefined without a test file. */
  testFile?: string;
  /** The workspace's configured Nx target names (the defaults when absent), for the commands the comments name. */
  targets?: TargetNames;
}

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
const quoted = (text: string) => JSON.stringify(text);

function indentBlock(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => (line.trim() === '' ? '' : `  ${line}`))
    .join('\n');
}

export function specYaml(skeleton: SpecSkeleton): string {
  const description =
    skeleton.description?.trim() ||
    `Describe what \`${skeleton.exportName}\` does: its inputs, its result, the edge cases, and the errors it throws.
The model reads this; so do the people who review the generated code. Be as exact as a good ticket.`;
  return `# yaml-language-server: $schema=${skeleton.schemaPath}
#
# A Specwright spec. The model writes the files under \`outputs\` from it, and every answer must pass the gates
# (types, safety, examples, properties, tests) before anything is written.
#   generate:  ${generateFix(skeleton.targets ?? DEFAULT_OPTIONS, { project: skeleton.project })}       (--check lists what is out of date, without a model)
#   review:    npx specwright review --project ${skeleton.project}
# Every field is described in the schema above; your editor completes and checks them.
id: ${skeleton.id}

# The goal, in prose.
description: |
${indentBlock(description)}

# The files this spec owns, relative to this file. They are generated: edit this spec, not them.
outputs: [${skeleton.name}.ts]

# The functions the outputs export. Each contract is inline JSON Schema under \`schema:\`, or \`type: Name\` for a
# type exported from a hand-written file named by a top-level \`types: ./${skeleton.name}.types.ts\`.
exports:
  - name: ${skeleton.exportName}
    params:
      - name: input
        schema: { type: string }
    returns:
      schema: { type: string }
    # Error constructors it may throw, e.g. [RangeError].
    throws: []

constraints:
  # Rules for the model, in prose.
  rules:
    - Keep it small and readable; no dependencies beyond the ones listed under allowedImports.
  # Module specifiers the code may import (besides Node built-ins granted by \`capabilities\`).
  allowedImports: []
  # No I/O and no global state.
  pure: true

# Calls the generated code must answer exactly: \`expect:\` a value, or \`throws: ErrorName\`. Replace [] with entries:
examples: []
#  - export: ${skeleton.exportName}
#    args: [${quoted('some input')}]
#    expect: ${quoted('the result')}

# Hand-written vitest files (relative to this file) the generated code must pass.
tests: [${skeleton.testFile ?? ''}]
`;
}

export function testFile(skeleton: SpecSkeleton): string {
  return `import { describe, expect, it } from 'vitest';
import { ${skeleton.exportName} } from './${skeleton.name}';

// Hand-written tests the generated ${skeleton.name}.ts must pass: ${skeleton.name}.spec.yaml lists this file under \`tests:\`.
// Replace this first test with the behaviour you described.
describe('${skeleton.exportName}', () => {
  it('answers a string for a string', () => {
    expect(typeof ${skeleton.exportName}('some input')).toBe('string');
  });
});
`;
}
