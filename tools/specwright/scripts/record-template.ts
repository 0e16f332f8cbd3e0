/**
 * Maintainers only: re-records the template's example answers after a prompt change (PROMPT_VERSION bump).
 *
 * The template ships recordings so that it works offline. They are the example implementations in the tree,
 * stored as the answers to the exact requests the current prompt makes. This script asks the pipeline for every
 * spec with `--force`, answers each request with the current content of the spec's outputs (header removed),
 * and lets the record provider store the answer under specs/recordings — every answer still goes through the gates.
 *
 *   node -r @swc-node/register tools/specwright/scripts/record-template.ts
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { discoverSpecProjects, projectNameOf } from '../src/discover';
import { createGateRunner } from '../src/gate-runner';
import { stripGeneratedHeader } from '../src/header';
import { normalizeOptions } from '../src/options';
import { NO_USAGE, type ModelRequest, type Provider } from '../src/providers/provider';
import { RecordProvider } from '../src/providers/recording';
import { runPipeline } from '../src/run';
import { findWorkspaceRoot, readPluginOptions } from '../src/workspace';

async function main(): Promise<number> {
  const workspaceRoot = findWorkspaceRoot(process.cwd());
  const options = normalizeOptions(readPluginOptions(workspaceRoot));
  const projects = [...discoverSpecProjects(workspaceRoot).keys()].map((root) => ({ root, name: projectNameOf(workspaceRoot, root) }));
  const fromTree: Provider = {
    name: 'openai',
    async complete(request: ModelRequest) {
      const outputs = /^Write: (.+)$/m.exec(request.messages[1]?.content ?? '')?.[1]?.split(', ') ?? [];
      const specFile = /^Spec file: (\S+) \(project (\S+)\)$/m.exec(request.messages[1]?.content ?? '');
      const project = projects.find((p) => p.name === specFile?.[2]);
      if (!project || !specFile) throw new Error(`cannot tell which spec ${request.specId} is`);
      const specDir = posix.dirname(findSpecFile(workspaceRoot, project.root, specFile[1] as string));
      const files = outputs.map((path) => ({ path, content: stripGeneratedHeader(readFileSync(join(workspaceRoot, specDir, path), 'utf8')) }));
      return { text: JSON.stringify({ files, notes: 'Example implementation shipped with the template.' }), usage: NO_USAGE, model: request.model };
    },
  };
  const gates = await createGateRunner(workspaceRoot);
  try {
    const result = await runPipeline({
      workspaceRoot,
      projects,
      options,
      mode: 'write',
      force: true,
      provider: new RecordProvider(fromTree, workspaceRoot, options.recordingsDir),
      gates: gates.run,
    });
    return result.ok ? 0 : 1;
  } finally {
    await gates.dispose();
  }
}

function findSpecFile(workspaceRoot: string, projectRoot: string, basename: string): string {
  const match = discoverSpecProjects(workspaceRoot).get(projectRoot)?.find((file) => posix.basename(file) === basename);
  if (!match) throw new Error(`no spec file ${basename} in ${projectRoot}`);
  return match;
}

main().then((code) => process.exit(code));
