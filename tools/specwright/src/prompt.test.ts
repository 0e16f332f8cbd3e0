import { describe, expect, it } from 'vitest';
import { stageAnswer } from './answer';
import { fingerprintInOrder } from './fingerprint';
import { parseSpec } from './parse';
import { buildMessages, MAX_TEST_SOURCE_CHARS, repairMessages, SYSTEM_PROMPT_TEXT } from './prompt';

const source = (id: string, output: string, extra = '') =>
  `id: ${id}\ndescription: Does ${id}.\noutputs: [${output}]\ntypes: ./shared.types.ts\nexports:\n  - name: f\n    params: []\n    returns: { schema: { type: integer } }\ntests: [${output.replace('.ts', '.test.ts')}]\n${extra}`;
const spec = (id: string, output: string) => {
  const parsed = parseSpec(source(id, output), { file: `libs/p/src/${output.replace('.ts', '.spec.yaml')}`, projectRoot: 'libs/p', project: 'p' });
  return fingerprintInOrder([{ ...parsed, contracts: {} }], { model: 'm', temperature: 0 })[0]!;
};
const context = (test: string) => ({ typesSource: 'export type Shared = number;\n', dependencySources: new Map<string, string>(), testSources: new Map([['libs/p/src/x.test.ts', test]]) });

describe('prompt layout', () => {
  it('puts what specs share first: the same system message, then the project and its types file, then the spec and its tests', () => {
    const a = buildMessages(spec('p/a', 'a.ts'), context('it("a", () => {});'));
    const b = buildMessages(spec('p/b', 'b.ts'), context('it("b", () => {});'));
    expect(a[0]).toEqual(b[0]);
    expect(a[0]?.content).toBe(SYSTEM_PROMPT_TEXT);
    // Over 1,024 tokens at any tokenizer's rate of at most ~4 characters per token.
    expect(SYSTEM_PROMPT_TEXT.length).toBeGreaterThan(4 * 1024);
    expect(SYSTEM_PROMPT_TEXT).not.toMatch(/\d{4}-\d{2}-\d{2}|p\/a|libs\//);
    const user = a[1]?.content ?? '';
    const shared = user.slice(0, user.indexOf('Spec file:'));
    expect(b[1]?.content.startsWith(shared)).toBe(true);
    expect(shared).toContain('Project: p (libs/p)');
    expect(shared).toContain('export type Shared = number;');
    expect(user.indexOf('Spec file: a.spec.yaml')).toBeLessThan(user.indexOf('Acceptance test x.test.ts'));
    expect(user).toContain('it("a", () => {});');
    expect(user.trimEnd().split('\n').at(-1)).toBe('Write: a.ts');
  });

  it('cuts a huge test file', () => {
    const user = buildMessages(spec('p/a', 'a.ts'), context('x'.repeat(MAX_TEST_SOURCE_CHARS + 10)))[1]?.content ?? '';
    expect(user).toContain(`[test file cut: ${MAX_TEST_SOURCE_CHARS + 10} characters in all]`);
  });

  it('a repair turn is the original request, the latest answer and its findings, whatever came before', () => {
    const original = buildMessages(spec('p/a', 'a.ts'), context(''));
    const second = repairMessages(original, 'answer 1', 'findings 1', 1);
    const third = repairMessages(original, 'answer 2', 'findings 2', 2);
    expect(third).toHaveLength(4);
    expect(third.slice(0, 2)).toEqual(original);
    expect(third[2]).toEqual({ role: 'assistant', content: 'answer 2' });
    expect(third[3]?.content).toMatch(/\(attempt 2\)[\s\S]*findings 2$/);
    expect(JSON.stringify(third).length - JSON.stringify(second).length).toBeLessThan(10);
  });
});

describe('reading answers', () => {
  const one = spec('p/a', 'a.ts');
  const json = JSON.stringify({ files: [{ path: 'a.ts', content: 'export function f(): number { return 1; }' }], notes: '' });

  it('takes JSON in a markdown fence, with any whitespace around and inside it', () => {
    for (const text of [json, `\`\`\`json\n${json}\n\`\`\``, `\`\`\`json ${json} \`\`\``, `  \`\`\` json\n\n${json}\n  \`\`\`  `, `\`\`\`\n${json}\`\`\``, `\`\`\`JSON\t${json}\r\n\`\`\``]) {
      expect(stageAnswer(one, text).files?.size, text).toBe(1);
    }
  });

  it('quotes the start of an answer that is not JSON', () => {
    const verdict = stageAnswer(one, `Sure!\n\nHere is the code:   ${'x'.repeat(400)}`).verdicts[0];
    expect(verdict?.findings[0]?.message).toMatch(/^the answer is not JSON \(.*\); it begins "Sure! Here is the code: x{176}"… \(\d+ characters\); answer with only the JSON object/);
  });
});
