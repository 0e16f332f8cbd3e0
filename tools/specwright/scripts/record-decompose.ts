/**
 * Maintainers only: re-keys the template's recorded decompositions after a change to the decompose prompt or to
 * the workspace context it sends (the list of existing specs), so that `specwright decompose` keeps replaying
 * offline.
 *
 * For each feature below it takes the answer of the recording already committed for it (or, with
 * `--answer <file.json>`, a new answer), asks `decompose` for the feature with a provider that gives that answer,
 * and lets the record provider store it under the current request's key; the answer still goes through every
 * check. Older recordings of the feature are removed. Nothing is written to the projects.
 *
 *   node -r @swc-node/register tools/specwright/scripts/record-decompose.ts [--answer answer.json]
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { typesFilesOf } from '../src/decompose/commands';
import { decompose, decomposeSpecId, featureSlug } from '../src/decompose/decompose';
import { discoverSpecProjects, projectNameOf } from '../src/discover';
import { loadSpecs } from '../src/load';
import { normalizeOptions } from '../src/options';
import { NO_USAGE, type Provider } from '../src/providers/provider';
import { RecordProvider, recordingPath, type Recording } from '../src/providers/recording';
import { loadPolicy } from '../src/review/policy';
import { findWorkspaceRoot, readPluginOptions } from '../src/workspace';

/** The features the template ships a recorded decomposition for, and the projects each targets. */
const FEATURES = [{ feature: 'specs/features/currency-conversion.md', projects: ['money'] }];

async function main(): Promise<number> {
  const workspaceRoot = findWorkspaceRoot(process.cwd());
  const options = normalizeOptions(readPluginOptions(workspaceRoot));
  const answerFlag = process.argv.indexOf('--answer');
  const projects = [...discoverSpecProjects(workspaceRoot).keys()].map((root) => ({ root, name: projectNameOf(workspaceRoot, root) }));
  const loaded = loadSpecs(workspaceRoot, projects, options);
  let failed = 0;
  for (const { feature, projects: wanted } of FEATURES) {
    const text = readFileSync(join(workspaceRoot, feature), 'utf8');
    const slug = featureSlug(feature, text);
    const folder = join(workspaceRoot, options.recordingsDir, decomposeSpecId(slug).replace(/\//g, '__'));
    const previous = listRecordings(folder);
    const answer = answerFlag > 0 ? readFileSync(process.argv[answerFlag + 1] as string, 'utf8') : newest(previous)?.answer;
    if (answer === undefined) {
      console.error(`${feature}: no recording to re-key and no --answer given`);
      failed++;
      continue;
    }
    const fixed: Provider = { name: 'openai', complete: async (request) => ({ text: answer, usage: NO_USAGE, model: request.model }) };
    const recorder = new RecordProvider(fixed, workspaceRoot, options.recordingsDir);
    let kept: string | undefined;
    const result = await decompose({
      workspaceRoot,
      feature: text,
      source: feature,
      targets: wanted.map((name) => {
        const project = projects.find((candidate) => candidate.name === name);
        if (!project) throw new Error(`no project ${name}`);
        return { name, root: project.root, typesFiles: typesFilesOf(workspaceRoot, project.root) };
      }),
      existing: loaded.specs,
      provider: {
        name: 'record',
        complete: async (request) => {
          const reply = await recorder.complete(request);
          const { recordingKey } = await import('../src/providers/recording');
          kept = recordingPath(workspaceRoot, options.recordingsDir, request.specId, recordingKey(request));
          return reply;
        },
      },
      options: { ...options, maxAttempts: 1 },
      policy: loadPolicy(workspaceRoot),
      slug,
    });
    if (!result.ok) {
      console.error(`${feature}: the answer does not pass the checks:\n  ${result.findings.join('\n  ')}${result.error ? `\n  ${result.error}` : ''}`);
      failed++;
      continue;
    }
    for (const recording of previous) if (recording.path !== kept) rmSync(recording.path);
    console.log(`${feature}: recorded ${result.drafts.length} draft spec(s) as ${kept}`);
  }
  return failed === 0 ? 0 : 1;
}

function listRecordings(folder: string): (Recording & { path: string; mtime: number })[] {
  try {
    return readdirSync(folder)
      .filter((name) => name.endsWith('.json'))
      .map((name) => join(folder, name))
      .map((path) => ({ ...(JSON.parse(readFileSync(path, 'utf8')) as Recording), path, mtime: statSync(path).mtimeMs }));
  } catch {
    return [];
  }
}

function newest<T extends { mtime: number }>(items: T[]): T | undefined {
  return [...items].sort((a, b) => b.mtime - a.mtime)[0];
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
