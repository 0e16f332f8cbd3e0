/**
 * Maintainers only: how much of the template's prompts a provider's prompt cache serves. Regenerates every template
 * spec (--force, in a throwaway copy of the repository) against the fake server in its OpenAI profile, which counts
 * tokens with the o200k tokenizer and reports cached tokens the way OpenAI does (an exact prefix of an earlier
 * request, from 1,024 tokens on, in steps of 128), and answers each request with the spec's current outputs. Prints
 * prompt and cached tokens per request, one spec at a time, at concurrency 4, and with one repair turn per spec. The
 * README quotes its output.
 *
 *   node -r @swc-node/register tools/specwright/scripts/measure-caching.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverSpecProjects, projectNameOf } from '../src/discover';
import { stripGeneratedHeader } from '../src/header';
import { normalizeOptions } from '../src/options';
import { runPipeline } from '../src/run';
import { askedFor } from '../test/crash-support';
import { startFakeOpenAI } from '../test/fake-openai';
import { copyTemplate } from '../test/template';

async function measure(concurrency: number, repairs = false): Promise<void> {
  const copy = copyTemplate();
  const server = await startFakeOpenAI({ profile: 'openai' });
  try {
    const projects = [...discoverSpecProjects(copy.root).keys()].map((root) => ({ root, name: projectNameOf(copy.root, root) }));
    const outputsOf = new Map<string, string[]>();
    for (const [root, files] of discoverSpecProjects(copy.root)) {
      for (const file of files) {
        const text = readFileSync(join(copy.root, file), 'utf8');
        const id = /^id: (\S+)$/m.exec(text)?.[1];
        if (id) outputsOf.set(id, [join(copy.root, file, '..'), root]);
      }
    }
    server.fallback = (request) => {
      const { id, outputs } = askedFor(request.body.messages);
      // With repairs: every first answer is rejected (not JSON), so each spec has one repair turn.
      if (repairs && request.body.messages.length === 2) return { kind: 'text', text: `Here is ${outputs.join(', ')}.` };
      const dir = outputsOf.get(id)?.[0] ?? copy.root;
      return { kind: 'answer', files: outputs.map((path) => ({ path, content: stripGeneratedHeader(readFileSync(join(dir, path), 'utf8')) })) };
    };
    const result = await runPipeline({
      workspaceRoot: copy.root,
      projects,
      options: normalizeOptions({ provider: 'openai', model: 'gpt-4.1-mini', maxRetries: 0, concurrency }),
      mode: 'write',
      force: true,
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'measure' },
      log: () => undefined,
    });
    console.log(`\nconcurrency ${concurrency}${repairs ? ', every first answer rejected' : ''} (${result.outcomes.filter((o) => o.result === 'regenerated' || o.result === 'unchanged').length}/${result.outcomes.length} accepted)`);
    console.log('spec                               prompt  cached');
    let prompt = 0;
    let cached = 0;
    for (const request of server.requests) {
      const { id } = askedFor(request.body.messages);
      console.log(`${`${id}${request.body.messages.length > 2 ? ' (repair)' : ''}`.padEnd(34)} ${String(request.usage?.prompt).padStart(6)}  ${String(request.usage?.cached).padStart(6)}`);
      prompt += request.usage?.prompt ?? 0;
      cached += request.usage?.cached ?? 0;
    }
    console.log(`total                              ${String(prompt).padStart(6)}  ${String(cached).padStart(6)}  (${Math.round((100 * cached) / prompt)}% cached)`);
  } finally {
    await server.close();
    copy.cleanup();
  }
}

async function main(): Promise<void> {
  await measure(1);
  await measure(4);
  await measure(1, true);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
