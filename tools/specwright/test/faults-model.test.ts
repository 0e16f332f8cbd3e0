import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { normalizeOptions, type SpecwrightPluginOptions } from '../src/options';
import type { RunResult } from '../src/run';
import { localProvider, runDemo, snapshotTree, treeChanges } from './crash-support';
import { startFakeOpenAI, type FakeOpenAI, type Reply } from './fake-openai';
import { PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

/**
 * Bad model answers and API faults, through the real openai SDK against the fake server. The spec is stale, so a
 * good answer would be written; every case asserts a clear message (what happened, where, what to do) and that no
 * file of the workspace changed.
 */
const SPEC_FILE = 'libs/demo/src/round.spec.yaml';
const FIX_COMMAND = 'nx generate-from-spec demo --spec demo/round';

const answer = (files: { path: string; content: string }[]): Reply => ({ kind: 'answer', files });

describe('faults: model answers and API errors change nothing', () => {
  let ws: TempWorkspace;
  let server: FakeOpenAI;
  let before: Map<string, string>;

  beforeEach(async () => {
    ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), [SPEC_FILE]: ROUND_SPEC });
    expect((await runDemo(ws.root, { provider: localProvider(() => ROUND_IMPL) })).ok).toBe(true);
    ws.write(SPEC_FILE, ROUND_SPEC.replace('ties to even.', 'ties to even (banker’s rounding).'));
    server = await startFakeOpenAI();
    before = snapshotTree(ws.root);
  });
  afterEach(async () => {
    await server.close();
    ws.cleanup();
  });

  const run = (options: SpecwrightPluginOptions = {}, baseURL = server.url): Promise<RunResult> =>
    runDemo(ws.root, {
      options: normalizeOptions({ provider: 'openai', model: 'test-model', maxRetries: 0, timeoutMs: 5_000, maxAttempts: 3, ...options }),
      env: { OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: 'test-key' },
    });

  /** The one failed outcome: its message, after checking that it says what to do and that nothing changed. */
  function failure(result: RunResult): string {
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([]);
    expect(result.outcomes).toHaveLength(1);
    const outcome = result.outcomes[0]!;
    expect(outcome).toMatchObject({ id: 'demo/round', file: SPEC_FILE, state: 'stale', result: 'failed' });
    expect(outcome.message).toContain(`the current files and lock entry are unchanged; fix the spec (or the model settings) and run \`${FIX_COMMAND}\``);
    expect(treeChanges(before, snapshotTree(ws.root))).toEqual([]);
    return outcome.message ?? '';
  }

  describe('bad answers go back to the model, then fail after maxAttempts', () => {
    it('not JSON', async () => {
      server.fallback = () => ({ kind: 'text', text: 'Sure! Here is your function: export function roundHalfEven() {}' });
      const message = failure(await run());
      expect(server.requests).toHaveLength(3);
      expect(message).toMatch(/rejected after 3 attempt\(s\); last failure in gate "answer":[\s\S]*the answer is not JSON \(.*\); it begins "Sure! Here is your function: export function roundHalfEven\(\) \{\}"; answer with only the JSON object/);
    });

    it('JSON of the wrong shape', async () => {
      server.fallback = () => ({ kind: 'text', text: JSON.stringify({ file: 'round.ts', code: ROUND_IMPL }) });
      const message = failure(await run());
      expect(message).toMatch(/gate "answer"[\s\S]*the answer does not have the required shape: \/ must have required property 'files'/);
    });

    it('a path outside the outputs', async () => {
      server.fallback = () => answer([{ path: 'round.ts', content: ROUND_IMPL }, { path: '../../../package.json', content: '{}' }]);
      const message = failure(await run());
      expect(message).toMatch(/gate "confinement"[\s\S]*"\.\.\/\.\.\/\.\.\/package\.json" points outside the project; write only the outputs: round\.ts/);
      server.fallback = () => answer([{ path: 'helper.ts', content: ROUND_IMPL }]);
      expect(failure(await run())).toMatch(/"helper\.ts" is not an output of this spec; write only: round\.ts/);
      server.fallback = () => answer([{ path: '/etc/passwd', content: 'root::0:0' }]);
      expect(failure(await run())).toMatch(/"\/etc\/passwd" is an absolute path/);
    });

    it('10 MB of code', async () => {
      const huge = `export function roundHalfEven(n: number, d: number): number { return n / d; }\n${'// filler\n'.repeat(1_048_576)}`;
      server.fallback = () => answer([{ path: 'round.ts', content: huge }]);
      const message = failure(await run({ maxAttempts: 2 }));
      expect(message).toMatch(/"round\.ts" is 104858\d\d bytes, over the 524288-byte limit for a generated file/);
      expect(server.requests).toHaveLength(2);
    }, 30_000);

    // Regression: the repair turn used to send the rejected answer back verbatim, so a 10 MB answer made every
    // further request 10 MB (≈2.5M tokens: past any context window, and paid for). It is echoed cut now.
    it('10 MB of code is not sent back to the model in the repair turn', async () => {
      const huge = `export const x = 1;\n${'// filler\n'.repeat(1_048_576)}`;
      server.fallback = () => answer([{ path: 'round.ts', content: huge }]);
      await run({ maxAttempts: 2 });
      expect(server.requests).toHaveLength(2);
      expect(JSON.stringify(server.requests[1]?.body).length).toBeLessThan(1_000_000);
    }, 30_000);

    it('an empty file', async () => {
      server.fallback = () => answer([{ path: 'round.ts', content: '  \n\n' }]);
      expect(failure(await run())).toMatch(/gate "confinement"[\s\S]*"round\.ts" is empty/);
      server.fallback = () => ({ kind: 'text', text: '' });
      expect(failure(await run())).toMatch(/the answer was empty; answer with the JSON object/);
    });

    it('a refusal (not retried)', async () => {
      server.fallback = () => ({ kind: 'refusal', text: 'I cannot help with rounding.' });
      const message = failure(await run());
      expect(server.requests).toHaveLength(1);
      expect(message).toMatch(/the model refused spec "demo\/round": I cannot help with rounding\.\n\s+expected: the files of the spec\n\s+fix: reword the spec's description/);
    });
  });

  describe('API faults', () => {
    it('401', async () => {
      server.fallback = () => ({ kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided' } } });
      const message = failure(await run({ maxRetries: 2 }));
      expect(server.requests).toHaveLength(1);
      expect(message).toMatch(new RegExp(`spec "demo/round": ${server.url.replace(/[.]/g, '\\.')} \\(model test-model\\) refused the API key \\(401\\)\\n\\s+fix: check OPENAI_API_KEY`));
    });

    it('429 with retry-after: waits as told, then succeeds', async () => {
      server.script({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } }, answer([{ path: 'round.ts', content: ROUND_IMPL }]));
      const started = Date.now();
      const result = await run({ maxRetries: 2 });
      expect(result.ok).toBe(true);
      expect(server.requests).toHaveLength(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    });

    it('429 for ever: gives up after maxRetries, naming the rate limit', async () => {
      server.fallback = () => ({ kind: 'status', status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'slow down' } } });
      const message = failure(await run({ maxRetries: 2 }));
      expect(server.requests).toHaveLength(3);
      expect(message).toMatch(/kept answering 429 \(rate limited\) after the SDK's retries \(waited \d+\.\d s in total over 3 tries\)\n\s+fix: wait and run again, lower --concurrency, or raise maxRetries/);
    });

    it('500', async () => {
      server.fallback = () => ({ kind: 'status', status: 500, body: { error: { message: 'upstream exploded' } } });
      const message = failure(await run({ maxRetries: 1 }));
      expect(server.requests).toHaveLength(2);
      expect(message).toMatch(/answered 500: 500 upstream exploded \(waited \d+\.\d s in total over 2 tries\)\n\s+fix: check the server's logs/);
    });

    it('slower than the timeout', async () => {
      server.fallback = () => ({ kind: 'answer', files: [{ path: 'round.ts', content: ROUND_IMPL }], delayMs: 3_000 });
      const started = Date.now();
      const message = failure(await run({ timeoutMs: 1_000 }));
      expect(Date.now() - started).toBeLessThan(2_900);
      expect(message).toMatch(/did not answer within 1000 ms \(waited 1\.\d s in total over 1 try; the deadline covers the whole answer, retries included\)\n\s+fix: raise timeoutMs in nx\.json/);
    });

    it('connection refused', async () => {
      const port = await closedPort();
      const message = failure(await run({}, `http://127.0.0.1:${port}/v1`));
      expect(message).toMatch(new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/v1 \\(model test-model\\): ECONNREFUSED[\\s\\S]*fix: check OPENAI_BASE_URL and that the server is running`));
    });

    it('TLS to a plain-HTTP server', async () => {
      const url = server.url.replace('http://', 'https://');
      const message = failure(await run({}, url));
      expect(message).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+\/v1 \(model test-model\): (EPROTO|ERR_SSL_WRONG_VERSION_NUMBER)[\s\S]*TLS errors: check the certificate or NODE_EXTRA_CA_CERTS/);
      expect(server.requests).toHaveLength(0);
    });

    describe('TLS with a self-signed certificate', () => {
      let tls: HttpsServer | undefined;
      let tlsUrl = '';
      let dir = '';
      beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'specwright-tls-'));
        try {
          execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
        } catch {
          return;
        }
        tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_request, response) => response.end('{}'));
        await new Promise<void>((resolve) => tls?.listen(0, '127.0.0.1', resolve));
        tlsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/v1`;
      });
      afterAll(async () => {
        await new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve()));
        rmSync(dir, { recursive: true, force: true });
      });

      it('is refused with the certificate error', async (context) => {
        if (!tls) context.skip('openssl is not installed: cannot make a self-signed certificate');
        const message = failure(await run({}, tlsUrl));
        expect(message).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+\/v1 \(model test-model\): DEPTH_ZERO_SELF_SIGNED_CERT[\s\S]*NODE_EXTRA_CA_CERTS/);
      });
    });
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
