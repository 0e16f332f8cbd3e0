import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompose, featureSlug, writeDrafts } from '../src/decompose/decompose';
import { loadSpecs } from '../src/load';
import { normalizeOptions } from '../src/options';
import { parseSpec } from '../src/parse';
import { createProvider } from '../src/providers';
import type { Recording } from '../src/providers/recording';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import { REPO_ROOT } from './fixtures';
import { copyTemplate, nx } from './template';

const FEATURE = 'specs/features/currency-conversion.md';
const DRAFTS = ['libs/money/src/parse-rate.spec.yaml', 'libs/money/src/convert.spec.yaml', 'libs/money/src/exchange.spec.yaml'];

function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(cwd, 'tools/specwright/bin/specwright.js'), ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } }, (error, stdout, stderr) => {
      resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('specwright decompose', () => {
  let ws: ReturnType<typeof copyTemplate>;
  let server: FakeOpenAI;

  beforeAll(async () => {
    ws = copyTemplate();
    server = await startFakeOpenAI();
  });
  afterAll(async () => {
    await server?.close();
    ws?.cleanup();
  });

  it('runs as an Nx generator: nx g @specwright/nx:decompose, through the Tree (--dry-run writes nothing)', async () => {
    const run = await nx(ws.root, ['g', '@specwright/nx:decompose', '--feature', FEATURE, '--project', 'money', '--dry-run'], { SPECWRIGHT_PROVIDER: 'replay' });
    expect(run.output).toContain('Proposed specs (3 drafts), in dependency order:');
    for (const file of DRAFTS) expect(run.output).toContain(`CREATE ${file}`);
    expect(run.status).toBe(0);
    expect(DRAFTS.some((file) => existsSync(join(ws.root, file)))).toBe(false);
  }, 120_000);

  it('replays the recorded decomposition offline into draft specs that check accepts once accepted', async () => {
    const run = await cli(ws.root, ['decompose', FEATURE, '--project', 'money'], { SPECWRIGHT_PROVIDER: 'replay' });
    expect(run.output).toContain('Proposed specs (3 drafts), in dependency order:');
    expect(run.output).toMatch(/money\/exchange\s+libs\/money\/src\/exchange\.spec\.yaml\s+← money\/parse-rate, money\/convert/);
    expect(run.status).toBe(0);
    for (const file of DRAFTS) {
      const parsed = parseSpec(readFileSync(join(ws.root, file), 'utf8'), { file, projectRoot: 'libs/money', project: 'money' });
      expect(parsed.spec.draft).toBe(true);
      expect(parsed.spec.examples.some((example) => example.throws)).toBe(true);
      expect(parsed.spec.tests.length).toBeGreaterThan(0);
    }
    expect(readFileSync(join(ws.root, DRAFTS[1] as string), 'utf8')).toContain('# Tests a person should write in convert.test.ts:');

    // Drafts are refused by generation, with the way out.
    const refused = await cli(ws.root, ['check', '--project', 'money']);
    expect(refused.status).toBe(1);
    expect(refused.output).toContain('spec "money/convert" is a draft (draft: true)');
    expect(refused.output).toContain('npx specwright decompose --accept libs/money/src/convert.spec.yaml');
    const review = await cli(ws.root, ['drafts']);
    expect(review.output).toMatch(/money\/exchange {2}\[exchange\]\n {2}├── money\/parse-rate/);

    // Accepted, they are valid specs: parsed, contracts resolved, no failure — only "never generated".
    const accepted = await cli(ws.root, ['decompose', '--accept', ...DRAFTS]);
    expect(accepted.status).toBe(0);
    const loaded = loadSpecs(ws.root, [{ name: 'money', root: 'libs/money' }], normalizeOptions({}));
    expect(loaded.failures.map((failure) => failure.error.format())).toEqual([]);
    expect(loaded.specs.filter((spec) => DRAFTS.includes(spec.file)).map((spec) => spec.spec.draft ?? false)).toEqual([false, false, false]);
    const checked = await cli(ws.root, ['check', '--project', 'money']);
    expect(checked.output).toMatch(/money\/convert\s+new/);
    expect(checked.output).toContain('0 invalid');
    expect(checked.output).not.toContain('is a draft');
  }, 120_000);

  it('sends invalid drafts back to the model with the parser findings, over the real SDK with a JSON schema', async () => {
    const folder = join(REPO_ROOT, 'specs/recordings/decompose__currency-conversion');
    const recorded = JSON.parse(readFileSync(join(folder, readdirSync(folder)[0] as string), 'utf8')) as Recording;
    const good = JSON.parse(recorded.answer) as { specs: { yaml: string }[] };
    const bad = structuredClone(good);
    (bad.specs[0] as { yaml: string }).yaml = (bad.specs[0] as { yaml: string }).yaml.replace('outputs: [parse-rate.ts]', 'outputs: [parse-rate.ts]\nowner: someone');
    (bad.specs[2] as { yaml: string }).yaml = (bad.specs[2] as { yaml: string }).yaml.replace(/examples:[\s\S]*?tests:/, 'examples: []\ntests:');
    server.script({ kind: 'text', text: JSON.stringify(bad) }, { kind: 'text', text: recorded.answer });

    const options = normalizeOptions({ maxRetries: 0 });
    const feature = readFileSync(join(ws.root, FEATURE), 'utf8');
    const loaded = loadSpecs(ws.root, [{ name: 'money', root: 'libs/money' }, { name: 'invoice', root: 'apps/invoice-cli' }, { name: 'text', root: 'libs/text' }], options);
    const result = await decompose({
      workspaceRoot: ws.root,
      feature,
      source: FEATURE,
      targets: [{ name: 'money', root: 'libs/money', typesFiles: ['libs/money/src/money.types.ts'] }],
      existing: loaded.specs.filter((spec) => !DRAFTS.includes(spec.file)),
      provider: createProvider('openai', ws.root, options, { OPENAI_BASE_URL: server.url }),
      options,
      slug: featureSlug(FEATURE, feature),
    });
    expect(result.ok).toBe(true);
    expect(result.attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
    const format = server.requests[0]?.body.response_format as { type: string; json_schema?: { name: string; strict: boolean } };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema?.name).toBe('specwright_decomposition');
    const repair = server.requests[1]?.body.messages.at(-1)?.content ?? '';
    // The parser's finding with its line:column in the proposed YAML, and the lint's: an export with no example.
    expect(repair).toMatch(/specs\[0\] \(src\/parse-rate\.spec\.yaml\): libs\/money\/src\/parse-rate\.spec\.yaml:\d+:1: unknown field `owner`/);
    expect(repair).toContain('export exchange has no example');
    writeDrafts(ws.root, result.drafts);
    expect(DRAFTS.every((file) => existsSync(join(ws.root, file)))).toBe(true);
  }, 60_000);
});
