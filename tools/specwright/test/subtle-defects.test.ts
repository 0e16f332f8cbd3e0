/**
 * Subtle defects, the kind a model really makes and example-based tests miss, through the real pipeline (the openai
 * SDK over HTTP to the fake server, every gate): inputs the old property gate never drew, arguments mutated in place,
 * one mutable result shared by every caller, super-linear time, catastrophic regexes, forbidden APIs,
 * locale-dependent output, broken invariants, and behaviour that differs from the reviewed version. Each defect
 * must be caught before anything is written, by the gate named; correct alternative implementations must pass.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateRunner, type GateRunnerHandle } from '../src/gate-runner';
import { readLock } from '../src/lock';
import { normalizeOptions } from '../src/options';
import { runPipeline } from '../src/run';
import { startFakeOpenAI, type FakeOpenAI, type Reply } from './fake-openai';
import { PACKAGE_JSON, tempWorkspace, type TempWorkspace } from './fixtures';

const SPEC = `id: demo/text
description: Small text and money helpers.
outputs: [text.ts]
exports:
  - name: countWords
    description: Counts each word of the text; words are separated by any whitespace.
    params:
      - name: text
        schema: { type: string, maxLength: 5000 }
    returns:
      schema: { type: object, additionalProperties: { type: integer, minimum: 1 } }
  - name: uniqueSorted
    description: The distinct words, sorted by UTF-16 code units, as a new array.
    params:
      - name: words
        schema: { type: array, items: { type: string, maxLength: 12 }, maxItems: 20000 }
    returns:
      schema: { type: array, items: { type: string } }
  - name: formatCents
    description: Cents as "1,234.56" (comma thousands separator, dot decimal mark), "-" in front of negative amounts.
    params:
      - name: cents
        schema: { type: integer, minimum: -100000000000, maximum: 100000000000 }
    returns:
      schema: { type: string, pattern: "^-?[0-9]{1,3}(,[0-9]{3})*[.][0-9]{2}$" }
  - name: isIdentifier
    description: Whether the text is a lowercase identifier, a letter then letters, digits or underscores.
    params:
      - name: text
        schema: { type: string, maxLength: 200 }
    returns:
      schema: { type: boolean }
  - name: splitEvenly
    description: Splits an amount of cents into n parts that differ by at most one cent, larger parts first.
    params:
      - name: amount
        schema: { type: integer, minimum: 0, maximum: 1000000000 }
      - name: parts
        schema: { type: integer, minimum: 1, maximum: 100 }
    returns:
      schema: { type: array, items: { type: integer, minimum: 0 } }
constraints:
  pure: true
  forbid: [BigInt, Math.round, .toFixed]
invariants:
  - name: the counts add up to the number of words
    export: countWords
    check: Object.values(result).reduce((a, b) => a + b, 0) === text.split(/\\s+/).filter(Boolean).length
  - name: the parts add up to the amount
    export: splitEvenly
    check: result.reduce((a, b) => a + b, 0) === amount && result.length === parts
examples:
  - { export: countWords, args: ["a b a"], expect: { a: 2, b: 1 } }
  - { export: uniqueSorted, args: [[b, a, b]], expect: [a, b] }
  - { export: formatCents, args: [123456], expect: "1,234.56" }
  - { export: formatCents, args: [-5], expect: "-0.05" }
  - { export: isIdentifier, args: [a_1], expect: true }
  - { export: isIdentifier, args: [1a], expect: false }
  - { export: splitEvenly, args: [10, 3], expect: [4, 3, 3] }
`;

const COUNT_WORDS = `export function countWords(text: string): Record<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.split(/\\s+/)) {
    if (word !== '') counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return Object.fromEntries(counts);
}`;
const UNIQUE_SORTED = `export function uniqueSorted(words: readonly string[]): string[] {
  return [...new Set(words)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}`;
const FORMAT_CENTS = `export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = String(Math.trunc(abs / 100)).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ',');
  return \`\${sign}\${whole}.\${String(abs % 100).padStart(2, '0')}\`;
}`;
const IS_IDENTIFIER = `export function isIdentifier(text: string): boolean {
  return /^[a-z][a-z0-9_]*$/.test(text);
}`;
const SPLIT_EVENLY = `export function splitEvenly(amount: number, parts: number): number[] {
  const base = Math.floor(amount / parts);
  const extra = amount % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}`;

type Part = 'countWords' | 'uniqueSorted' | 'formatCents' | 'isIdentifier' | 'splitEvenly';
const CORRECT: Record<Part, string> = { countWords: COUNT_WORDS, uniqueSorted: UNIQUE_SORTED, formatCents: FORMAT_CENTS, isIdentifier: IS_IDENTIFIER, splitEvenly: SPLIT_EVENLY };
const program = (replace: Partial<Record<Part, string>> = {}): string => (Object.keys(CORRECT) as Part[]).map((part) => replace[part] ?? CORRECT[part]).join('\n\n') + '\n';

interface Defect {
  name: string;
  /** The class of the issue it stands for. */
  kind: string;
  gate: string;
  feedback: RegExp;
  replace: Partial<Record<Part, string>>;
}

const DEFECTS: Defect[] = [
  {
    name: 'counts in a plain object: "constructor" and "__proto__" break it',
    kind: 'inputs never drawn (prototype keys)',
    gate: 'properties',
    feedback: /countWords\(/,
    replace: {
      countWords: `export function countWords(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const word of text.split(/\\s+/)) if (word) counts[word] = (counts[word] || 0) + 1;
  return counts;
}`,
    },
  },
  {
    name: 'splits on spaces only: tabs, CR and LF join words',
    kind: 'inputs never drawn (whitespace variants) / invariant',
    gate: 'properties',
    feedback: /invariant "the counts add up to the number of words"/,
    replace: {
      countWords: `export function countWords(text: string): Record<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.split(' ')) if (word) counts.set(word, (counts.get(word) ?? 0) + 1);
  return Object.fromEntries(counts);
}`,
    },
  },
  {
    name: 'sorts its argument in place',
    kind: 'mutated arguments',
    gate: 'examples',
    feedback: /changed its argument at args\[0\]/,
    replace: {
      uniqueSorted: `export function uniqueSorted(words: string[]): string[] {
  words.sort();
  return words.filter((word, i) => i === 0 || word !== words[i - 1]);
}`,
    },
  },
  {
    name: 'returns one shared empty array',
    kind: 'shared mutable result',
    gate: 'properties',
    feedback: /same mutable object at result/,
    replace: {
      uniqueSorted: `const NONE: string[] = [];
export function uniqueSorted(words: readonly string[]): string[] {
  if (words.length === 0) return NONE;
  return [...new Set(words)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}`,
    },
  },
  {
    name: 'dedups with indexOf (quadratic)',
    kind: 'super-linear time',
    gate: 'cost',
    feedback: /uniqueSorted (takes super-linear time|ran out of its)/,
    replace: {
      uniqueSorted: `export function uniqueSorted(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const word of words) if (out.indexOf(word) === -1) out.push(word);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}`,
    },
  },
  {
    name: 'nested quantifier regex',
    kind: 'ReDoS',
    gate: 'cost',
    feedback: /backtracks catastrophically/,
    replace: {
      isIdentifier: `export function isIdentifier(text: string): boolean {
  return /^[a-z]([a-z0-9]+_?)*$/.test(text) || /^[a-z]$/.test(text);
}`,
    },
  },
  {
    name: 'formats with toLocaleString',
    kind: 'locale-dependent result',
    gate: 'purity',
    feedback: /TZ=Pacific\/Chatham and LANG=tr_TR/,
    replace: {
      formatCents: `export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return sign + (abs / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}`,
    },
  },
  {
    name: 'uses toFixed, which the spec forbids',
    kind: 'forbidden API',
    gate: 'safety',
    feedback: /forbidden-api.*\.toFixed/,
    replace: {
      formatCents: `export function formatCents(cents: number): string {
  const [whole, fraction] = Math.abs(cents / 100).toFixed(2).split('.');
  return \`\${cents < 0 ? '-' : ''}\${whole!.replace(/\\B(?=(\\d{3})+(?!\\d))/g, ',')}.\${fraction}\`;
}`,
    },
  },
  {
    name: 'drops the remainder',
    kind: 'invariant',
    gate: 'properties',
    feedback: /invariant "the parts add up to the amount"/,
    replace: {
      splitEvenly: `export function splitEvenly(amount: number, parts: number): number[] {
  const base = Math.floor(amount / parts);
  const out = Array.from({ length: parts }, () => base);
  if (amount % parts !== 0 && parts === 3) out[0] = base + (amount % parts);
  return out;
}`,
    },
  },
];

/** Different code, same behaviour: none of these may be rejected. */
const ALTERNATIVES: Array<{ name: string; replace: Partial<Record<Part, string>> }> = [
  {
    name: 'countWords with a null-prototype object and a character loop',
    replace: {
      countWords: `export function countWords(text: string): Record<string, number> {
  const counts: Record<string, number> = Object.create(null);
  let word = '';
  const flush = () => {
    if (word) counts[word] = (Object.prototype.hasOwnProperty.call(counts, word) ? counts[word]! : 0) + 1;
    word = '';
  };
  for (const ch of text) {
    if (/\\s/.test(ch)) flush();
    else word += ch;
  }
  flush();
  return { ...counts };
}`,
    },
  },
  {
    name: 'uniqueSorted by sorting a copy and skipping repeats; formatCents by slicing digits',
    replace: {
      uniqueSorted: `export function uniqueSorted(words: readonly string[]): string[] {
  const sorted = words.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.filter((word, i) => i === 0 || word !== sorted[i - 1]);
}`,
      formatCents: `export function formatCents(cents: number): string {
  const digits = String(Math.abs(cents)).padStart(3, '0');
  let whole = digits.slice(0, -2);
  const groups: string[] = [];
  while (whole.length > 3) {
    groups.unshift(whole.slice(-3));
    whole = whole.slice(0, -3);
  }
  groups.unshift(whole);
  return (cents < 0 ? '-' : '') + groups.join(',') + '.' + digits.slice(-2);
}`,
    },
  },
  {
    name: 'isIdentifier without a regex; splitEvenly with a loop',
    replace: {
      isIdentifier: `export function isIdentifier(text: string): boolean {
  if (text.length === 0 || text[0]! < 'a' || text[0]! > 'z') return false;
  for (const ch of text) if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch === '_')) return false;
  return true;
}`,
      splitEvenly: `export function splitEvenly(amount: number, parts: number): number[] {
  const out: number[] = [];
  let left = amount;
  for (let i = parts; i > 0; i--) {
    const part = Math.ceil(left / i);
    out.push(part);
    left -= part;
  }
  return out;
}`,
    },
  },
];

describe('subtle defects: caught before write, by the gate meant for them; correct alternatives pass', () => {
  let ws: TempWorkspace;
  let server: FakeOpenAI;
  let gates: GateRunnerHandle;
  const caught = new Map<string, number>();

  beforeAll(async () => {
    ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), 'libs/demo/src/text.spec.yaml': SPEC });
    server = await startFakeOpenAI();
    gates = await createGateRunner(ws.root, { callTimeoutMs: 1_500, numRuns: 40, differentialRuns: 30 });
  });
  afterAll(async () => {
    await gates?.dispose();
    await server?.close();
    ws?.cleanup();
  });

  const run = (extra: { gates?: GateRunnerHandle } = {}) =>
    runPipeline({
      workspaceRoot: ws.root,
      projects: [{ name: 'demo', root: 'libs/demo' }],
      options: normalizeOptions({ provider: 'openai', maxRetries: 0, timeoutMs: 20_000, maxAttempts: 1 }),
      mode: 'write',
      force: true,
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' },
      log: () => undefined,
      gates: (extra.gates ?? gates).run,
    });
  const reply = (code: string): Reply => ({ kind: 'answer', files: [{ path: 'text.ts', content: code }] });
  const history = () => readLock(ws.root, 'libs/demo').specs['demo/text']?.generation;

  it('accepts the correct implementation (first generation: nothing to compare with)', async () => {
    server.script(reply(program()));
    const result = await run();
    expect(result.outcomes[0]?.message).toBeUndefined();
    expect(history()?.history[0]?.gates).toMatchObject({ types: 'pass', safety: 'pass', examples: 'pass', properties: 'pass', purity: 'pass', cost: 'pass', differential: 'pass' });
  });

  for (const alternative of ALTERNATIVES) {
    it(`does not reject a correct alternative: ${alternative.name}`, async () => {
      server.script(reply(program(alternative.replace)));
      const result = await run();
      expect(result.ok, result.outcomes[0]?.message).toBe(true);
      // put the reference implementation back, so the next comparison is against it
      server.script(reply(program()));
      expect((await run()).ok).toBe(true);
    });
  }

  for (const defect of DEFECTS) {
    it(`catches ${defect.kind}: ${defect.name} (gate ${defect.gate})`, async () => {
      const before = readFileSync(join(ws.root, 'libs/demo/src/text.ts'), 'utf8');
      server.requests.length = 0;
      server.script(reply(program(defect.replace)));
      const result = await run();
      expect(result.ok).toBe(false);
      const message = result.outcomes[0]?.message ?? '';
      expect(message).toMatch(new RegExp(`## ${defect.gate} `));
      expect(message).toMatch(defect.feedback);
      expect(readFileSync(join(ws.root, 'libs/demo/src/text.ts'), 'utf8')).toBe(before);
      caught.set(defect.gate, (caught.get(defect.gate) ?? 0) + 1);
    });
  }

  it('catches a change of reviewed behaviour the spec does not ask for; records one accepted with --accept-behaviour-change or asked for by an example', async () => {
    // Lower-casing the words fits every contract, example and invariant; only the reviewed version tells.
    const lowerCasing = program({ countWords: CORRECT.countWords.replace('counts.set(word,', 'word = word.toLowerCase(), counts.set(word,').replace('const word of', 'let word of') });
    server.script(reply(lowerCasing));
    const rejected = await run();
    expect(rejected.ok).toBe(false);
    expect(rejected.outcomes[0]?.message).toMatch(/## differential .*\n- at countWords\(.*\) the reviewed code returned .*, this candidate .*Keep the previously accepted/s);
    caught.set('differential', (caught.get('differential') ?? 0) + 1);

    const accepting = await createGateRunner(ws.root, { callTimeoutMs: 1_500, numRuns: 40, differentialRuns: 30, acceptBehaviourChange: ['demo/text'] });
    try {
      server.script(reply(lowerCasing));
      const accepted = await run({ gates: accepting });
      expect(accepted.ok, accepted.outcomes[0]?.message).toBe(true);
      expect(history()?.behaviourChanges?.[0]).toMatch(/^at countWords\(.*\) the reviewed code returned .* \(accepted with --accept-behaviour-change\)$/);
      // back to the reference implementation (accepted the same way)
      server.script(reply(program()));
      expect((await run({ gates: accepting })).ok).toBe(true);
    } finally {
      await accepting.dispose();
    }

    // The other way to change behaviour on purpose: an example the reviewed code fails says so.
    ws.write('libs/demo/src/text.spec.yaml', `${SPEC}  - { export: countWords, args: ["A a"], expect: { a: 2 } }\n`);
    server.script(reply(lowerCasing));
    const pinned = await run();
    expect(pinned.ok, pinned.outcomes[0]?.message).toBe(true);
    expect(history()?.behaviourChanges?.join('\n')).toMatch(/the reviewed code returned .* \(intended: the reviewed code fails example #8\)/);
    ws.write('libs/demo/src/text.spec.yaml', SPEC);
  });

  it('reports the catch counts per gate', () => {
    const total = [...caught.values()].reduce((a, b) => a + b, 0);
    console.log(`subtle-defect catches by gate: ${[...caught].map(([gate, n]) => `${gate} ${n}`).join(', ')}; total ${total}/${DEFECTS.length + 1}`);
    expect(total).toBe(DEFECTS.length + 1);
  });
});
