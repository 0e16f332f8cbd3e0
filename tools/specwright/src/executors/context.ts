import type { ExecutorContext } from '@nx/devkit';
import type { ProjectRef } from '../load';
import { normalizeOptions, type NormalizedOptions, type SpecwrightPluginOptions } from '../options';

/** The project an executor runs for, and every project it depends on (transitively) in the Nx project graph. */
export function projectsOf(context: ExecutorContext): { project: ProjectRef; dependencies: ProjectRef[] } {
  const name = context.projectName as string;
  const projects = context.projectsConfigurations.projects;
  const root = (project: string) => projects[project]?.root ?? '.';
  const seen = new Set<string>([name]);
  const queue = [name];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const dependency of context.projectGraph?.dependencies[current] ?? []) {
      if (projects[dependency.target] && !seen.has(dependency.target)) {
        seen.add(dependency.target);
        queue.push(dependency.target);
      }
    }
  }
  seen.delete(name);
  return { project: { name, root: root(name) }, dependencies: [...seen].sort().map((dep) => ({ name: dep, root: root(dep) })) };
}

export interface CommonExecutorOptions extends SpecwrightPluginOptions {
  spec?: string | string[];
  concurrency?: number;
}

export function specIds(spec: string | string[] | undefined): string[] {
  if (spec === undefined) return [];
  return (Array.isArray(spec) ? spec : [spec]).flatMap((value) => String(value).split(',')).map((id) => id.trim()).filter(Boolean);
}

export function pluginOptionsOf(options: CommonExecutorOptions): NormalizedOptions {
  const { spec: _spec, ...rest } = options;
  return normalizeOptions(rest);
}
