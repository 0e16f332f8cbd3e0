import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLock } from '../src/lock';
import { RUN_LOCK_FILE_NAME } from '../src/mutex';
import { normalizeOptions, type SpecwrightPluginOptions } from '../src/options';
import { runPipeline, type RunResult } from '../src/run';
import { askedFor, snapshotTree, treeChanges } from './crash-support';
import { startFakeOpenAI, type FakeOpenAI, type Quirks, type RecordedRequest, type Reply } from './fake-openai';
import { PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

/**
 * The same generation scenario — four independent specs, concurrency 4 — against the fake server behaving like each
 * real server (test/fake-openai.ts `Quirks`), through the real pipeline and the real openai SDK over HTTP. Every run
 * must end in accepted code or one clear error per spec, count every token the server reported, and leave the
 * workspace untouched when it fails.
 */
const PROJECT = { name: 'demo', root: 'libs/demo' };
const NAMES = ['a', 'b', 'c', 'd'];
const TEST_FILE = (name: string) => `import { expect, it } from 'vitest';\nimport { roundHalfEven } from './${name}';\n\nit('rounds ties to even (${name})', () => {\n  expect(roundHalfEven(5, 2)).toBe(2);\n  expect(roundHalfEven(7, 2)).toBe(4);\n});\n`;

/** The scripted model: the correct file at the path the prompt asks for. */
const correct = (request: RecordedRequest): Reply => ({ kind: 'answer', files: askedFor(request.body.messages).outputs.map((path) => ({ path, content: ROUND_IMPL })) });

function scenarioWorkspace(): TempWorkspace {
  const files: Record<string, string> = { 'libs/demo/package.json': PACKAGE_JSON('demo') };
  for (const name of NAMES) {
    files[`libs/demo/src/${name}.spec.yaml`] = `${ROUND_SPEC.replace('demo/round', `demo/${name}`).replace('round.ts', `${name}.ts`)}tests: [${name}.test.ts]\n`;
    files[`libs/demo/src/${name}.test.ts`] = TEST_FILE(name);
  }
  return tempWorkspace(files);
}

interface Scenario {
  server: FakeOpenAI;
  ws: TempWorkspace;
  result: RunResult;
  logs: string[];
  changes: string[];
}

let open: { server: FakeOpenAI; ws: TempWorkspace }[] = [];
afterEach(async () => {
  for (const { server, ws } of open) {
    await server.close();
    ws.cleanup();
  }
  open = [];
});

async function scenario(quirks: Quirks, options: SpecwrightPluginOptions = {}, env: Record<string, string> = {}, model: (request: RecordedRequest) => Reply = correct): Promise<Scenario> {
  const server = await startFakeOpenAI(quirks);
  const ws = scenarioWorkspace();
  open.push({ server, ws });
  server.fallback = model;
  const before = snapshotTree(ws.root);
  const logs: string[] = [];
  const result = await runPipeline({
    workspaceRoot: ws.root,
    projects: [PROJECT],
    options: normalizeOptions({ provider: 'openai', model: 'test-model', maxRetries: 0, timeoutMs: 10_000, maxAttempts: 3, concurrency: 4, ...options }),
    mode: 'write',
    env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'test-key', ...env },
    log: (line) => logs.push(line),
  });
  return { server, ws, result, logs, changes: treeChanges(before, snapshotTree(ws.root)) };
}

/** Every token the server reported is in the outcomes, failed requests included. */
function expectUsageCounted({ server, result }: Scenario): void {
  const reported = server.requests.reduce(
    (sum, request) => ({ prompt: sum.prompt + (request.usage?.prompt ?? 0), completion: sum.completion + (request.usage?.completion ?? 0), cached: sum.cached + (request.usage?.cached ?? 0) }),
    { prompt: 0, completion: 0, cached: 0 },
  );
  const counted = result.outcomes.reduce(
    (sum, outcome) => ({ prompt: sum.prompt + outcome.usage.promptTokens, completion: sum.completion + outcome.usage.completionTokens, cached: sum.cached + outcome.usage.cachedTokens }),
    { prompt: 0, completion: 0, cached: 0 },
  );
  expect(counted).toEqual(reported);
}

function expectAccepted(run: Scenario): void {
  expect(run.result.outcomes.map((outcome) => [outcome.id, outcome.result, outcome.message])).toEqual(NAMES.map((name) => [`demo/${name}`, 'regenerated', undefined]));
  for (const name of NAMES) expect(readFileSync(join(run.ws.root, `libs/demo/src/${name}.ts`), 'utf8')).toContain('export function roundHalfEven');
  expect(existsSync(join(run.ws.root, PROJECT.root, RUN_LOCK_FILE_NAME))).toBe(false);
  expectUsageCounted(run);
  expect(run.result.outcomes.every((outcome) => outcome.usage.promptTokens > 1000)).toBe(true);
}

/** One clear error per spec, with its code's advice, nothing written, the run lock gone. */
function expectOneClearError(run: Scenario, pattern: RegExp): void {
  expect(run.result.ok).toBe(false);
  for (const outcome of run.result.outcomes) {
    expect(outcome.result).toBe('failed');
    expect(outcome.message).toMatch(pattern);
    expect(outcome.message).toContain('the current files and lock entry are unchanged');
  }
  expect(run.changes).toEqual([]);
  expectUsageCounted(run);
}

const bodies = (run: Scenario) => run.server.requests.map((request) => request.body);

describe('real servers, emulated: the same scenario at concurrency 4', () => {
  it('OpenAI: structured output, max_tokens, temperature; cached tokens reported', async () => {
    const run = await scenario({ profile: 'openai' });
    expectAccepted(run);
    expect(run.server.requests).toHaveLength(4);
    for (const body of bodies(run)) {
      expect(body.response_format?.type).toBe('json_schema');
      expect(body).toMatchObject({ max_tokens: 4096, temperature: 0 });
    }
    // The spec's tests are in the prompt, as acceptance criteria, after the spec.
    const user = bodies(run).find((body) => body.messages[1]?.content.includes('id: demo/a'))?.messages[1]?.content ?? '';
    expect(user).toContain(`Acceptance test a.test.ts (must pass as written; do not write it):\n\`\`\`ts\n${TEST_FILE('a').trimEnd()}\n\`\`\``);
    expect(user.indexOf('Spec file: a.spec.yaml')).toBeLessThan(user.indexOf('Acceptance test a.test.ts'));
    expect(run.result.summary).toMatch(/tokens spent \(\d+ cached\)/);
  });

  it('OpenAI reasoning model: temperature and max_tokens refused, each request adapts, the run remembers', async () => {
    const run = await scenario({ profile: 'openai-reasoning' });
    expectAccepted(run);
    const accepted = run.server.requests.filter((request) => request.status === 200);
    expect(accepted).toHaveLength(4);
    for (const { body } of accepted) {
      expect(body.temperature).toBeUndefined();
      expect(body.max_tokens).toBeUndefined();
      expect(body.max_completion_tokens).toBe(4096);
    }
    // Four concurrent requests each learned on their own (at most two refusals each), none failed.
    expect(run.server.requests.length).toBeLessThanOrEqual(12);
    expect(run.logs.join('\n')).toMatch(/the server rejected max_tokens \(Unsupported parameter: 'max_tokens' is not supported with this model\. Use 'max_completion_tokens' instead\.\); sent max_completion_tokens instead/);
  });

  it('OpenAI reasoning model, one spec at a time: what the first request learned, the next ones start with', async () => {
    const run = await scenario({ profile: 'openai-reasoning' }, { concurrency: 1 });
    expectAccepted(run);
    // The first spec pays two refusals (max_tokens, then temperature); the other three are right the first time.
    expect(run.server.requests.map((request) => request.status)).toEqual([400, 400, 200, 200, 200, 200]);
  });

  it('a seed the server does not know is dropped the same way (Azure: "Unrecognized request argument supplied")', async () => {
    const run = await scenario({ profile: 'openai' }, { concurrency: 1, seed: 42 }, {}, (request) =>
      request.body.seed !== undefined ? { kind: 'status', status: 400, body: { error: { message: 'Unrecognized request argument supplied: seed', type: 'invalid_request_error', param: null, code: null } } } : correct(request),
    );
    expectAccepted(run);
    expect(run.server.requests.map((request) => `${request.status} ${request.body.seed ?? '-'}`)).toEqual(['400 42', '200 -', '200 -', '200 -', '200 -']);
    expect(run.server.requests.every((request) => request.body.temperature === 0 && request.body.response_format?.type === 'json_schema')).toBe(true);
  });

  it('a spec\'s model.maxOutputTokens overrides the plugin option', async () => {
    const server = await startFakeOpenAI({ profile: 'openai' });
    const ws = scenarioWorkspace();
    open.push({ server, ws });
    ws.write('libs/demo/src/d.spec.yaml', `${readFileSync(join(ws.root, 'libs/demo/src/d.spec.yaml'), 'utf8')}model:\n  maxOutputTokens: 777\n`);
    server.fallback = correct;
    const result = await runPipeline({
      workspaceRoot: ws.root,
      projects: [PROJECT],
      options: normalizeOptions({ provider: 'openai', model: 'test-model', maxRetries: 0, maxOutputTokens: 2000 }),
      mode: 'write',
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' },
      log: () => undefined,
    });
    expect(result.ok).toBe(true);
    expect(Object.fromEntries(server.requests.map((request) => [askedFor(request.body.messages).id, request.body.max_tokens]))).toEqual({ 'demo/a': 2000, 'demo/b': 2000, 'demo/c': 2000, 'demo/d': 777 });
  });

  it('what the run learns is kept per model: a spec on another model starts from the top', async () => {
    const server = await startFakeOpenAI({ profile: 'openai-reasoning' });
    const ws = scenarioWorkspace();
    open.push({ server, ws });
    ws.write('libs/demo/src/d.spec.yaml', `${readFileSync(join(ws.root, 'libs/demo/src/d.spec.yaml'), 'utf8')}model:\n  name: other-model\n`);
    server.fallback = correct;
    const result = await runPipeline({
      workspaceRoot: ws.root,
      projects: [PROJECT],
      options: normalizeOptions({ provider: 'openai', model: 'test-model', maxRetries: 0, timeoutMs: 10_000, concurrency: 1 }),
      mode: 'write',
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' },
      log: () => undefined,
    });
    expect(result.ok).toBe(true);
    // test-model: two refusals, then right; other-model (the fake refuses the same for every model): two refusals again.
    expect(server.requests.map((request) => `${request.body.model} ${request.status}`)).toEqual([
      'test-model 400',
      'test-model 400',
      'test-model 200',
      'test-model 200',
      'test-model 200',
      'other-model 400',
      'other-model 400',
      'other-model 200',
    ]);
  });

  it('llama.cpp: a switch is remembered only once a request made with it succeeded', async () => {
    let failed = false;
    const run = await scenario({ profile: 'llamacpp', samplerFails: true }, { concurrency: 1 }, {}, (request) => {
      if (!failed && request.body.response_format?.type === 'json_object') {
        failed = true;
        return { kind: 'status', status: 503, body: { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } } };
      }
      return correct(request);
    });
    expect(run.result.outcomes.map((outcome) => outcome.result)).toEqual(['failed', 'regenerated', 'regenerated', 'regenerated']);
    expect(run.result.outcomes[0]?.message).toMatch(/answered 503: 503 Loading model/);
    // The second spec starts from json_schema again (the switch had not worked yet), then the run keeps json_object.
    expect(run.server.requests.map((request) => `${request.status} ${request.body.response_format?.type}`)).toEqual([
      '400 json_schema',
      '503 json_object',
      '400 json_schema',
      '200 json_object',
      '200 json_object',
      '200 json_object',
    ]);
  });

  it('Azure OpenAI: deployment path, api-version, api-key header', async () => {
    const azure = { deployment: 'specwright-gpt', apiKey: 'azure-secret', apiVersion: '2024-10-21' };
    const real = await scenarioWithAzureEndpoint(azure, '2024-10-21');
    expectAccepted(real);
    expect(real.server.requests.every((request) => request.path === '/openai/deployments/specwright-gpt/chat/completions?api-version=2024-10-21')).toBe(true);
    expect(real.server.requests.every((request) => request.headers['api-key'] === 'azure-secret')).toBe(true);
  });

  it('Azure OpenAI with an api-version before structured outputs: json_schema and the schema key refused, plain JSON mode works', async () => {
    const run = await scenarioWithAzureEndpoint({ deployment: 'specwright-gpt', apiKey: 'azure-secret', apiVersion: '2024-06-01' }, '2024-06-01');
    expectAccepted(run);
    expect(run.server.requests.filter((request) => request.status === 200).every((request) => request.body.response_format?.type === 'json_object' && !request.body.response_format.schema)).toBe(true);
  });

  it('Ollama: structured output; a prompt beyond num_ctx is cut silently, which ends as one clear error after the repairs', async () => {
    expectAccepted(await scenario({ profile: 'ollama' }));
    const small = await scenario({ profile: 'ollama', contextTokens: 1024 }, { maxAttempts: 2 });
    expectOneClearError(small, /rejected after 2 attempt\(s\); last failure in gate "answer":[\s\S]*cut off after \d+ tokens \(finish_reason "length"\), before maxOutputTokens \(4096\): the model's context is full \(\d+ prompt \+ \d+ answer tokens\)[\s\S]*Ollama num_ctx/);
    expect(small.server.requests).toHaveLength(8);
  });

  it('vLLM: structured output; "maximum context length is N tokens" is a context error with its sizes and advice', async () => {
    expectAccepted(await scenario({ profile: 'vllm' }));
    const small = await scenario({ profile: 'vllm', contextTokens: 4096 });
    expectOneClearError(small, /do not fit the context of .*\(the context holds 4096 tokens, the request needed \d+\): This model's maximum context length is 4096 tokens[\s\S]*fix: give the server a larger context \(llama\.cpp: `llama-server -c 16384`; Ollama: `num_ctx`[\s\S]*vLLM: `--max-model-len`[\s\S]*lower maxOutputTokens \(now 4096\)/);
    expect(small.server.requests).toHaveLength(4);
  });

  it('llama.cpp: the sampler 400 falls back to json_object with the schema, per request, no race; fenced JSON with spaces is read', async () => {
    const run = await scenario({ profile: 'llamacpp', samplerFails: true });
    expectAccepted(run);
    const accepted = run.server.requests.filter((request) => request.status === 200);
    expect(accepted).toHaveLength(4);
    for (const { body } of accepted) expect(body.response_format).toMatchObject({ type: 'json_object', schema: { type: 'object' } });
    expect(run.server.requests.filter((request) => request.status === 400).length).toBeLessThanOrEqual(4);
    expect(run.logs.join('\n')).toMatch(/the server rejected structured output \(json_schema\) \(Failed to initialize samplers: std::exception\); sent JSON mode with the schema beside it/);
    // Cached prompt tokens are reported (llama.cpp reuses a slot's prefix).
    expect(run.result.summary).toMatch(/cached/);
  });

  it('llama.cpp with a 1,536-token context: exceed_context_size_error is one clear error with sizes and advice', async () => {
    const run = await scenario({ profile: 'llamacpp', contextTokens: 1536 });
    expectOneClearError(run, /do not fit the context of .*\(the context holds 1536 tokens, the request needed \d+\): request \(\d+ tokens\) exceeds the available context size[\s\S]*fix: give the server a larger context \(llama\.cpp: `llama-server -c 16384`/);
    expect(run.server.requests).toHaveLength(4);
  });

  it('llama.cpp with a 2,048-token context: the repair turn is no larger than the first request plus one answer, so it still fits', async () => {
    let first = true;
    const run = await scenario({ profile: 'llamacpp', contextTokens: 2048 }, {}, {}, (request) => {
      if (askedFor(request.body.messages).id === 'demo/a' && first) {
        first = false;
        return { kind: 'answer', files: [{ path: 'a.ts', content: 'export function roundHalfEven(numerator: number, denominator: number): number {\n  return Math.round(numerator / denominator);\n}\n' }, { path: 'extra.ts', content: 'export {};' }] };
      }
      return correct(request);
    });
    expectAccepted(run);
    const forA = run.server.requests.filter((request) => askedFor(request.body.messages).id === 'demo/a');
    expect(forA.map((request) => request.body.messages.length)).toEqual([2, 4]);
    expect(forA.every((request) => (request.usage?.prompt ?? 0) < 2048)).toBe(true);
  });

  it('LM Studio: json_schema is taken directly; its json_object refusal is never hit', async () => {
    const run = await scenario({ profile: 'lmstudio' });
    expectAccepted(run);
    expect(bodies(run).every((body) => body.response_format?.type === 'json_schema')).toBe(true);
  });

  it('LM Studio with a model whose template refuses json_schema: every JSON mode is refused, the request goes without response_format', async () => {
    const run = await scenario({ profile: 'lmstudio' }, {}, {}, (request) =>
      request.body.response_format?.type === 'json_schema' ? { kind: 'status', status: 400, body: { error: 'Error rendering prompt with jinja template: Cannot apply filter "tojson" to type: UndefinedValue' } } : correct(request),
    );
    expectAccepted(run);
    expect(run.server.requests.filter((request) => request.status === 200).every((request) => request.body.response_format === undefined)).toBe(true);
  });

  async function scenarioWithAzureEndpoint(azure: NonNullable<Quirks['azure']>, apiVersion: string): Promise<Scenario> {
    const server = await startFakeOpenAI({ profile: 'azure', azure });
    const ws = scenarioWorkspace();
    open.push({ server, ws });
    server.fallback = correct;
    const before = snapshotTree(ws.root);
    const logs: string[] = [];
    const result = await runPipeline({
      workspaceRoot: ws.root,
      projects: [PROJECT],
      options: normalizeOptions({ provider: 'openai', model: 'gpt-4o-mini', maxRetries: 0, timeoutMs: 10_000, concurrency: 4, azureDeployment: azure.deployment, azureApiVersion: apiVersion }),
      mode: 'write',
      env: { AZURE_OPENAI_ENDPOINT: server.url, AZURE_OPENAI_API_KEY: azure.apiKey },
      log: (line) => logs.push(line),
    });
    return { server, ws, result, logs, changes: treeChanges(before, snapshotTree(ws.root)) };
  }
});

describe('answers and bodies real servers send', () => {
  const one = async (replies: Reply[], options: SpecwrightPluginOptions = {}) => {
    const run = await scenario({ profile: 'openai' }, { concurrency: 1, ...options }, {}, () => replies.shift() ?? { kind: 'status', status: 500 });
    return run;
  };

  it('an answer cut off at the output limit is repaired, and both answers are counted', async () => {
    const server = await startFakeOpenAI({ profile: 'openai' });
    const ws = scenarioWorkspace();
    open.push({ server, ws });
    server.script({ kind: 'length', text: '{"files": [{"path": "a.ts", "content": "export function roundHalfEven(' });
    server.fallback = correct;
    const result = await runPipeline({
      workspaceRoot: ws.root,
      projects: [PROJECT],
      only: ['demo/a'],
      options: normalizeOptions({ provider: 'openai', model: 'test-model', maxRetries: 0, timeoutMs: 10_000, maxOutputTokens: 900 }),
      mode: 'write',
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' },
      log: () => undefined,
    });
    const outcome = result.outcomes.find((o) => o.id === 'demo/a');
    expect(outcome).toMatchObject({ result: 'regenerated', attempts: 2 });
    expect(server.requests[0]?.body.max_tokens).toBe(900);
    expect(server.requests[1]?.body.messages.at(-1)?.content).toMatch(/cut off at the output limit \(maxOutputTokens 900\)/);
    expect(outcome?.usage.promptTokens).toBe((server.requests[0]?.usage?.prompt ?? 0) + (server.requests[1]?.usage?.prompt ?? 0));
    const history = readLock(ws.root, PROJECT.root).specs['demo/a']?.generation.history;
    expect(history?.map((h) => h.usage?.completionTokens)).toEqual([server.requests[0]?.usage?.completion, server.requests[1]?.usage?.completion]);
  });

  it('repair turns keep the original request plus only the latest answer: the prompt stops growing', async () => {
    const bad = (text: string): Reply => ({ kind: 'text', text });
    // demo/a's answers, in its own order: other specs' requests may go out between its attempts (one request in
    // flight, not one spec at a time), and they get a server error.
    const answers = [bad('not json at all'), bad('still not json, and a longer answer this time around'), bad('{"files": 3}')];
    const isA = (request: RecordedRequest) => request.body.messages.some((m) => m.content.includes('id: demo/a'));
    const run = await scenario({ profile: 'openai' }, { concurrency: 1, maxAttempts: 3 }, {}, (request) => (isA(request) ? answers.shift() : undefined) ?? { kind: 'status', status: 500 });
    const requests = run.server.requests.filter(isA);
    expect(requests.map((request) => request.body.messages.length)).toEqual([2, 4, 4]);
    expect(requests[2]?.body.messages.slice(0, 2)).toEqual(requests[0]?.body.messages);
    expect(requests[2]?.body.messages[2]?.content).toBe('still not json, and a longer answer this time around');
  });

  it('a server that trickles its answer is cut off at the total deadline; the message gives the time and tries; the run lock is released', async () => {
    const server = await startFakeOpenAI();
    const ws = scenarioWorkspace();
    open.push({ server, ws });
    server.fallback = (request) => ({ kind: 'trickle', files: askedFor(request.body.messages).outputs.map((path) => ({ path, content: ROUND_IMPL })), intervalMs: 100 });
    const before = snapshotTree(ws.root);
    const started = Date.now();
    const result = await runPipeline({
      workspaceRoot: ws.root,
      projects: [PROJECT],
      only: ['demo/a'],
      options: normalizeOptions({ provider: 'openai', model: 'test-model', maxRetries: 2, timeoutMs: 1_500 }),
      mode: 'write',
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' },
      log: () => undefined,
    });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(result.outcomes.find((o) => o.id === 'demo/a')?.message).toMatch(/did not answer within 1500 ms \(waited 1\.\d s in total over 1 try; the deadline covers the whole answer, retries included\)/);
    expect(server.requests).toHaveLength(1);
    expect(treeChanges(before, snapshotTree(ws.root))).toEqual([]);
    expect(existsSync(join(ws.root, PROJECT.root, RUN_LOCK_FILE_NAME))).toBe(false);
  });

  it('a server that never answers is not asked again by the SDK: one try, the deadline, the tries in the message', async () => {
    const run = await scenario({ profile: 'vllm' }, { concurrency: 4, maxRetries: 2, timeoutMs: 1_000, maxAttempts: 3 }, {}, () => ({ kind: 'hang' }));
    expectOneClearError(run, /did not answer within 1000 ms \(waited 1\.\d s in total over 1 try; the deadline covers the whole answer, retries included\)/);
    expect(run.server.requests).toHaveLength(4);
  });

  it('names malformed bodies: an HTML error page, a 200 without choices, a 200 HTML page, a content filter', async () => {
    const cases: [Reply, RegExp][] = [
      [{ kind: 'html', status: 502, title: '502 Bad Gateway' }, /answered 502 with an HTML page \("502 Bad Gateway"\) instead of JSON[\s\S]*fix: a proxy or gateway answered/],
      [{ kind: 'json', body: { id: 'x', object: 'chat.completion', usage: { prompt_tokens: 7, completion_tokens: 0 } } }, /answered 200 without `choices`: "\{\\"id\\":\\"x\\"/],
      [{ kind: 'html', status: 200, title: 'Sign in' }, /answered 200 with an HTML page \("Sign in"\) instead of a chat completion[\s\S]*fix: check OPENAI_BASE_URL/],
      [{ kind: 'content_filter' }, /its content filter stopped it \(finish_reason "content_filter"\)[\s\S]*fix: reword the spec/],
      // Azure's prompt filter is a 400 to a json_schema request, yet not a reason to drop the response format.
      [
        { kind: 'status', status: 400, body: { error: { code: 'content_filter', param: 'prompt', status: 400, message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry." } } },
        /filtered the prompt \(content management policy\): The response was filtered[\s\S]*fix: reword the spec/,
      ],
      [{ kind: 'garbage', body: '{"id": "chatcmpl-1", "choices": [' }, /answered with a body that is not valid JSON/],
    ];
    for (const [reply, pattern] of cases) {
      const run = await one([reply], { maxAttempts: 1 });
      const outcome = run.result.outcomes.find((o) => o.id === 'demo/a');
      expect(outcome?.message).toMatch(pattern);
      expect(run.changes.filter((change) => change.includes('/a.ts'))).toEqual([]);
      expect(run.server.requests.filter((request) => askedFor(request.body.messages).id === 'demo/a')).toHaveLength(1);
      expect(existsSync(join(run.ws.root, PROJECT.root, RUN_LOCK_FILE_NAME))).toBe(false);
    }
    // The tokens of the body without choices are counted although it failed.
    const run = await one([{ kind: 'json', body: { usage: { prompt_tokens: 7, completion_tokens: 3 } } }], { maxAttempts: 1, concurrency: 1 });
    expect(run.result.outcomes.find((o) => o.id === 'demo/a')?.usage).toMatchObject({ promptTokens: 7, completionTokens: 3 });
  });
});

describe('record and replay', () => {
  it('records only conversations that ended accepted, marks their rejected answers, and replay reports tokens as recorded', async () => {
    const server = await startFakeOpenAI({ profile: 'openai' });
    const ws = scenarioWorkspace();
    open.push({ server, ws });
    const attempts = new Map<string, number>();
    server.fallback = (request) => {
      const { id } = askedFor(request.body.messages);
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      if (id === 'demo/d') return { kind: 'text', text: 'never JSON' };
      return id === 'demo/a' && n === 1 ? { kind: 'text', text: 'not JSON yet' } : correct(request);
    };
    const base = { workspaceRoot: ws.root, projects: [PROJECT], mode: 'write' as const, log: () => undefined };
    const recorded = await runPipeline({ ...base, options: normalizeOptions({ provider: 'record', model: 'test-model', maxRetries: 0, maxAttempts: 2 }), env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' } });
    expect(recorded.outcomes.map((o) => o.result)).toEqual(['regenerated', 'regenerated', 'regenerated', 'failed']);
    const dir = (id: string) => join(ws.root, 'specs/recordings', id.replace('/', '__'));
    expect(existsSync(dir('demo/d'))).toBe(false);
    const aRecordings = readdirSync(dir('demo/a')).map((file) => JSON.parse(readFileSync(join(dir('demo/a'), file), 'utf8')) as { answer: string; rejected?: string });
    expect(aRecordings).toHaveLength(2);
    expect(aRecordings.find((r) => r.answer === 'not JSON yet')?.rejected).toMatch(/^answer: the answer is not JSON/);
    expect(aRecordings.filter((r) => r.rejected === undefined)).toHaveLength(1);

    for (const name of ['a', 'b', 'c']) ws.write(`libs/demo/src/${name}.ts`, '// gone\n');
    const replayed = await runPipeline({ ...base, only: ['demo/a', 'demo/b', 'demo/c'], force: true, options: normalizeOptions({ provider: 'replay', model: 'test-model' }), env: {} });
    expect(replayed.outcomes.filter((o) => o.id !== 'demo/d').map((o) => o.result)).toEqual(['regenerated', 'regenerated', 'regenerated']);
    expect(replayed.summary).toMatch(/; 0 tokens spent \(0 cached\), \d+ tokens recorded \(replayed, not spent\)/);
    expect(replayed.summary).toMatch(/demo\/a\s+\S+\s+regenerated\s+2\s+\d+ recorded/);
  });
});

describe('prompt caching', () => {
  it('the stable prefix is over 1,024 tokens, so a second spec of the project is served from the cache', async () => {
    const run = await scenario({ profile: 'openai' }, { concurrency: 1 });
    expectAccepted(run);
    const [first, ...rest] = run.server.requests;
    expect(first?.usage?.cached).toBe(0);
    for (const request of rest) expect(request.usage?.cached).toBeGreaterThanOrEqual(1024);
    expect(run.result.summary).toMatch(/demo\/b\s+new\s+regenerated\s+1\s+\d+\s+1\d{3}\s/);
  });
});
