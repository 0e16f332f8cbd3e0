import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command, CommandRegistry } from '../commands';
import { specProjects, workspaceOptions } from '../entry';
import { discoverSpecFiles, projectNameOf } from '../discover';
import { SpecwrightError } from '../errors';
import { generateFix } from '../fix-commands';
import type { ProjectRef } from '../load';
import { resolveProvider } from '../options';
import { parseSpec } from '../parse';
import type { ParsedSpec } from '../types';
import type { DecomposeTarget } from './prompt';
import { formatDraftTree } from './tree';

export const DECOMPOSE_USAGE = `Usage:
  specwright decompose <feature.md | --text "<feature>"> --project <name> [--project <name>]… [--dry-run] [--json]
      Asks the model (the configured provider: openai, replay or record) for a set of subtask specs for the feature:
      exports, contracts, examples with error cases, constraints, dependsOn as a DAG, and the tests a person should
      write. Every proposed spec goes through the spec parser, the dependency graph, contract resolution, the policy
      and the lint's error rules; problems go back to the model. The result is written as draft specs
      (\`draft: true\`), which generation refuses until a person accepts them. Prints the set in dependency order.
      --dry-run   print the drafts, write nothing
  specwright decompose --accept <spec files…>
      accept reviewed drafts: removes their \`draft: true\` line (the same as deleting it by hand)
  specwright drafts
      the proposed (draft) specs of the workspace as a tree, in dependency order (also shown by \`specwright review\`)`;

const allProjects = specProjects;

/** Nx projects (package.json or project.json) of the workspace, also those without a spec yet. */
export function nxProjects(workspaceRoot: string): ProjectRef[] {
  const found = new Map(allProjects(workspaceRoot).map((project) => [project.root, project]));
  for (const group of ['apps', 'libs', 'packages']) {
    const dir = join(workspaceRoot, group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const root = `${group}/${entry.name}`;
      if (entry.isDirectory() && !found.has(root) && (existsSync(join(dir, entry.name, 'package.json')) || existsSync(join(dir, entry.name, 'project.json')))) {
        found.set(root, { root, name: projectNameOf(workspaceRoot, root) });
      }
    }
  }
  return [...found.values()];
}

/** The `*.types.ts` files of a project, which drafts may refer to with `types:`. */
export function typesFilesOf(workspaceRoot: string, root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(workspaceRoot, dir), { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.types.ts')) out.push(path);
    }
  };
  if (existsSync(join(workspaceRoot, root))) walk(root);
  return out.sort();
}

/** Parses every spec (no contracts): enough for the tree, and cheap enough for `review`. */
function parsedSpecs(workspaceRoot: string): ParsedSpec[] {
  const specs: ParsedSpec[] = [];
  for (const project of allProjects(workspaceRoot)) {
    for (const file of discoverSpecFiles(workspaceRoot, project.root)) {
      try {
        specs.push(parseSpec(readFileSync(join(workspaceRoot, file), 'utf8'), { file, projectRoot: project.root, project: project.name }));
      } catch {
        // Broken specs are reported by check, lint and generate; the tree shows what can be read.
      }
    }
  }
  return specs;
}

/** The draft tree of the workspace, or '' when there is no draft (for `review`). */
export function workspaceDraftTree(workspaceRoot: string): string {
  const specs = parsedSpecs(workspaceRoot);
  return formatDraftTree(
    specs.filter((spec) => spec.spec.draft),
    new Map(specs.map((spec) => [spec.spec.id, spec])),
  );
}


/** The decomposition itself, shared by the command and the Nx generator: the caller writes the drafts. */
export async function proposeDrafts(workspaceRoot: string, input: { feature: string; source: string; projects: string[] }) {
  const { feature, source } = input;
  const wanted = input.projects;
  const projects = nxProjects(workspaceRoot);
  if (wanted.length === 0) {
    throw new SpecwrightError('decompose needs the target project(s)', { expected: `--project <name> (projects: ${projects.map((p) => p.name).join(', ')})`, fix: 'npx specwright decompose feature.md --project money', code: 'USAGE' });
  }
  const unknown = wanted.filter((name) => !projects.some((project) => project.name === name));
  if (unknown.length > 0) {
    throw new SpecwrightError(`unknown project(s) ${unknown.join(', ')}`, { expected: `one of ${projects.map((p) => p.name).join(', ')}`, fix: 'check the project name (`nx show projects`)', code: 'USAGE' });
  }
  const { decompose, featureSlug } = await import('./decompose');
  const options = workspaceOptions(workspaceRoot);
  const { loadSpecs } = await import('../load');
  const loaded = loadSpecs(workspaceRoot, allProjects(workspaceRoot), options);
  const targets: DecomposeTarget[] = wanted.map((name) => {
    const project = projects.find((candidate) => candidate.name === name) as ProjectRef;
    return { name, root: project.root, typesFiles: typesFilesOf(workspaceRoot, project.root) };
  });
  const { createProvider } = await import('../providers');
  const { loadPolicy } = await import('../review/policy');
  const provider = createProvider(resolveProvider(options.provider), workspaceRoot, options);
  const result = await decompose({
    workspaceRoot,
    feature,
    source,
    targets,
    existing: loaded.specs,
    provider,
    options,
    policy: loadPolicy(workspaceRoot),
    slug: featureSlug(source, feature),
    log: (line) => console.error(line),
  });
  return { result, loaded };
}

const draftsCommand: Command = async (_args, workspaceRoot) => {
  const tree = workspaceDraftTree(workspaceRoot);
  console.log(tree || 'No draft specs. `specwright decompose` proposes some for a feature.');
  return 0;
};

const decomposeCommand: Command = async (args, workspaceRoot) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      text: { type: 'string' },
      project: { type: 'string', multiple: true },
      accept: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(DECOMPOSE_USAGE);
    return 0;
  }
  const { acceptDraft, writeDrafts } = await import('./decompose');
  const cwd = process.cwd();
  if (values.accept) {
    if (positionals.length === 0) throw new SpecwrightError('--accept needs the draft spec files to accept', { fix: 'npx specwright decompose --accept libs/x/src/y.spec.yaml', code: 'USAGE' });
    for (const path of positionals) {
      const file = relative(workspaceRoot, resolve(cwd, path)).split('\\').join('/');
      const project = allProjects(workspaceRoot).find((candidate) => candidate.root === '.' || file.startsWith(`${candidate.root}/`));
      if (!project) throw new SpecwrightError(`${path} is not a spec file of a project`, { fix: 'name a *.spec.yaml file under apps/ or libs/', code: 'USAGE' });
      const id = acceptDraft(workspaceRoot, file, project);
      console.log(`accepted ${file} (no longer a draft); generate it with \`${generateFix(workspaceOptions(workspaceRoot), { project: project.name, spec: id })}\``);
    }
    return 0;
  }

  const wanted = values.project ?? [];
  if ((values.text === undefined) === (positionals.length !== 1)) {
    throw new SpecwrightError('decompose needs one feature: a markdown/text file, or --text "<description>"', { fix: 'npx specwright decompose specs/features/currency-conversion.md --project money', code: 'USAGE' });
  }
  let feature: string;
  let source: string;
  if (values.text !== undefined) {
    feature = values.text;
    source = 'text';
  } else {
    const path = resolve(cwd, positionals[0] as string);
    if (!existsSync(path) || !statSync(path).isFile()) throw new SpecwrightError(`feature file ${positionals[0]} does not exist`, { fix: 'pass the path of a markdown or text file, or use --text', code: 'USAGE' });
    feature = readFileSync(path, 'utf8');
    source = relative(workspaceRoot, path).split('\\').join('/');
  }
  if (feature.trim() === '') throw new SpecwrightError('the feature description is empty', { fix: 'describe the feature: what it does, its inputs, outputs and error cases', code: 'USAGE' });

  const { result, loaded } = await proposeDrafts(workspaceRoot, { feature, source, projects: wanted });
  if (!result.ok) {
    console.error(`decompose failed after ${result.attempts} attempt(s): ${result.error ?? ''}`);
    for (const finding of result.findings) console.error(`  - ${finding}`);
    return 1;
  }
  if (!values['dry-run']) writeDrafts(workspaceRoot, result.drafts);
  if (values.json) {
    console.log(JSON.stringify({ drafts: result.drafts.map((draft) => ({ file: draft.file, id: draft.spec.spec.id, dependsOn: draft.spec.spec.dependsOn, humanTests: draft.humanTests })), notes: result.notes ?? '', attempts: result.attempts, usage: result.usage }, null, 2));
    return 0;
  }
  if (values['dry-run']) for (const draft of result.drafts) console.log(`--- ${draft.file}\n${draft.content}`);
  const all = new Map<string, ParsedSpec>(loaded.specs.map((spec) => [spec.spec.id, spec]));
  for (const draft of result.drafts) all.set(draft.spec.spec.id, draft.spec);
  console.log(formatDraftTree(result.drafts.map((draft) => draft.spec), all));
  if (result.notes) console.log(`\nNotes from the model: ${result.notes}`);
  console.log(
    `\n${values['dry-run'] ? 'Would write' : 'Wrote'} ${result.drafts.length} draft spec(s) (${result.attempts} attempt(s), ${result.usage.promptTokens + result.usage.completionTokens} tokens). Next: review them (\`npx specwright lint\`), write the tests each lists, then accept (\`npx specwright decompose --accept <file>\`) and generate.`,
  );
  return 0;
};

export function registerDecomposeCommands(commands: CommandRegistry): void {
  commands.set('decompose', { summary: 'draft subtask specs for a feature (through the model)', run: decomposeCommand });
  commands.set('drafts', { summary: 'the draft specs as a tree, in dependency order', run: draftsCommand });
}
