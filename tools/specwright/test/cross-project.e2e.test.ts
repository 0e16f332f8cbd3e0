import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTemplate, nx } from './template';

const DEPENDENT = 'libs/rate-limit/src/token-bucket.spec.yaml';
const DEPENDENCY = 'libs/text/src/slugify.spec.yaml';

/** The JSON object nx printed (it may print notices around it). */
function jsonOf(output: string): Record<string, unknown> {
  const start = output.indexOf('{');
  return JSON.parse(output.slice(start, output.lastIndexOf('}') + 1)) as Record<string, unknown>;
}

/**
 * Spec ids across projects, through the real nx CLI: `rate-limit` has no Nx edge to `text` until one of its specs
 * depends on a spec of `text`. The executor must still resolve the id (it loads the dependsOn closure of the whole
 * workspace, not only the Nx graph's dependencies), the plugin's createDependencies must add the project edge so
 * `^generate-from-spec` orders the projects, and a cycle across the two projects must be reported as a cycle.
 */
describe.sequential('cross-project spec ids under nx', () => {
  let ws: { root: string; cleanup(): void };
  const path = (file: string) => join(ws.root, file);
  let dependentSource: string;
  let dependencySource: string;

  beforeAll(() => {
    ws = copyTemplate();
    dependentSource = readFileSync(path(DEPENDENT), 'utf8');
    dependencySource = readFileSync(path(DEPENDENCY), 'utf8');
  }, 120_000);
  afterAll(() => ws?.cleanup());

  it('resolves a dependsOn on a spec of a project with no other edge, and adds that edge to the project graph', async () => {
    appendFileSync(path(DEPENDENT), 'dependsOn: [text/slugify]\n');
    const check = await nx(ws.root, ['generate-from-spec', 'rate-limit', '--check']);
    expect(check.output).not.toMatch(/not a spec id/);
    // The dependency changes the spec's fingerprint: it is stale now, and only that is reported.
    expect(check.status, check.output).not.toBe(0);
    expect(check.output).toMatch(/rate-limit\/token-bucket/);
    expect(check.output).toMatch(/stale/);

    const graphFile = path('graph.json');
    const graph = await nx(ws.root, ['graph', `--file=${graphFile}`]);
    expect(graph.status, graph.output).toBe(0);
    const dependencies = (JSON.parse(readFileSync(graphFile, 'utf8')) as { graph: { dependencies: Record<string, { target: string; type: string }[]> } }).graph.dependencies;
    expect(dependencies['rate-limit']).toEqual(expect.arrayContaining([expect.objectContaining({ target: 'text', type: 'static' })]));

    // `^generate-from-spec`: the task of rate-limit waits for text's.
    const taskGraphFile = path('tasks.json');
    const tasks = await nx(ws.root, ['generate-from-spec', 'rate-limit', '--check', `--graph=${taskGraphFile}`]);
    expect(tasks.status, tasks.output).toBe(0);
    const taskGraph = JSON.parse(readFileSync(taskGraphFile, 'utf8')) as { tasks: { dependencies: Record<string, string[]> } };
    expect(taskGraph.tasks.dependencies['rate-limit:generate-from-spec:ci'] ?? taskGraph.tasks.dependencies['rate-limit:generate-from-spec']).toEqual(
      expect.arrayContaining([expect.stringMatching(/^text:generate-from-spec/)]),
    );
  }, 240_000);

  it('reports a dependsOn cycle across two projects as a cycle, with the file and the fix', async () => {
    writeFileSync(path(DEPENDENCY), `${dependencySource}dependsOn: [rate-limit/token-bucket]\n`);
    const check = await nx(ws.root, ['generate-from-spec', 'rate-limit', '--check']);
    expect(check.status, check.output).not.toBe(0);
    expect(check.output).not.toMatch(/not a spec id|circular dependency/i);
    expect(check.output).toMatch(/dependency cycle: (rate-limit\/token-bucket → text\/slugify → rate-limit\/token-bucket|text\/slugify → rate-limit\/token-bucket → text\/slugify)/);
    expect(check.output).toMatch(/libs\/(rate-limit|text)\/src\/[a-z-]+\.spec\.yaml:\d+:\d+/);
    writeFileSync(path(DEPENDENCY), dependencySource);
    writeFileSync(path(DEPENDENT), dependentSource);
  }, 240_000);
});
