import { asTree, type SourceTree } from './source-tree';

/**
 * Discovery over a source tree (source-tree.ts): the working tree for the pipeline and review, the git index for
 * the pre-commit hook. A workspace root string stands for its working tree.
 */

/** The files Specwright reads as specs; the plugin's createNodes uses the same glob. */
export const SPEC_FILE_GLOB = '**/*.spec.yaml';
export const SPEC_FILE_SUFFIX = '.spec.yaml';

/** The project a file belongs to, Nx's way: the nearest ancestor folder holding project.json or package.json. */
export function owningProjectRoot(tree: SourceTree | string, file: string): string {
  return asTree(tree).ownerRoot(file);
}

/**
 * Workspace-relative paths of the spec files of one project, sorted. Folders of nested projects are left to
 * those projects, as Nx assigns files to the most deeply nested project root.
 */
export function discoverSpecFiles(tree: SourceTree | string, projectRoot: string): string[] {
  return asTree(tree).specFiles(projectRoot);
}

/** Every spec file of the workspace, for commands that run without the Nx project graph (the CLI, the hook). */
export function discoverAllSpecFiles(tree: SourceTree | string): string[] {
  return asTree(tree).specFiles();
}

/** The projects holding specs, with their spec files, grouped the way Nx assigns files to projects. */
export function discoverSpecProjects(tree: SourceTree | string): Map<string, string[]> {
  const source = asTree(tree);
  const byRoot = new Map<string, string[]>();
  for (const file of source.specFiles()) {
    const root = source.ownerRoot(file);
    const files = byRoot.get(root);
    if (files) files.push(file);
    else byRoot.set(root, [file]);
  }
  return byRoot;
}

/** The Nx name of the project at `root`: project.json's or package.json's `nx.name`/`name`, else the folder. */
export function projectNameOf(tree: SourceTree | string, root: string): string {
  return asTree(tree).projectName(root);
}
