import { addProjectConfiguration, getProjects, joinPathFragments, logger, offsetFromRoot, readNxJson, type Tree } from '@nx/devkit';
import { SpecwrightError } from '../../errors';
import { PLUGIN_PACKAGE } from '../plugin-location';
import { specGenerator } from '../spec/generator';

export interface ProjectGeneratorSchema {
  name: string;
  /** Where the project goes; default: `<libsDir>/<name>` (libs/<name>). */
  directory?: string;
  tags?: string;
  /** Also create a first spec, e.g. `allocate` → <name>/allocate. */
  spec?: string;
}

const PROJECT_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * `nx g @specwright/nx:project money`: the smallest library that holds specs — project.json, src/index.ts, a
 * tsconfig extending the workspace's — and no build or lint setup that could clash with the workspace's own.
 */
export async function projectGenerator(tree: Tree, options: ProjectGeneratorSchema): Promise<void> {
  const name = options.name?.trim();
  if (!name || !PROJECT_NAME.test(name)) {
    throw new SpecwrightError(`"${options.name}" is not a project name Specwright can use in spec ids`, { fix: 'use lowercase letters, digits and hyphens, e.g. money', code: 'GENERATOR_INPUT' });
  }
  if (getProjects(tree).has(name)) {
    throw new SpecwrightError(`project "${name}" already exists`, { fix: `add a spec to it instead: nx g ${PLUGIN_PACKAGE}:spec ${name}/<name>`, code: 'GENERATOR_INPUT' });
  }
  const root = options.directory ?? joinPathFragments(readNxJson(tree)?.workspaceLayout?.libsDir ?? 'libs', name);
  if (tree.exists(root) && tree.children(root).length > 0) {
    throw new SpecwrightError(`${root} is not empty`, { fix: 'pass --directory with an empty or new folder', code: 'GENERATOR_INPUT' });
  }
  addProjectConfiguration(tree, name, {
    root,
    sourceRoot: joinPathFragments(root, 'src'),
    projectType: 'library',
    tags: (options.tags ?? '').split(',').map((tag) => tag.trim()).filter(Boolean),
    targets: {},
  });
  tree.write(joinPathFragments(root, 'src', 'index.ts'), `// The public API of ${name}: re-export the generated functions other projects may use.\nexport {};\n`);
  if (tree.exists('tsconfig.base.json')) {
    tree.write(joinPathFragments(root, 'tsconfig.json'), `${JSON.stringify({ extends: `${offsetFromRoot(root)}tsconfig.base.json`, include: ['src/**/*.ts'] }, null, 2)}\n`);
  }
  if (options.spec) await specGenerator(tree, { name: `${name}/${options.spec}`, project: name });
  else logger.info(`Next: nx g ${PLUGIN_PACKAGE}:spec ${name}/<name>`);
}

export default projectGenerator;
