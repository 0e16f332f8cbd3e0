import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractResolver } from './contracts';
import { discoverSpecFiles } from './discover';
import { describeError, isSpecwrightError, SpecwrightError } from './errors';
import { fingerprintInOrder } from './fingerprint';
import { orderSpecs, positionOfText } from './graph';
import type { NormalizedOptions } from './options';
import { parseSpec } from './parse';
import type { FingerprintedSpec, ParsedSpec } from './types';

export interface ProjectRef {
  name: string;
  /** Workspace-relative root, `.` for the workspace root. */
  root: string;
}

export interface SpecFailure {
  file: string;
  error: SpecwrightError;
}

export interface LoadedWorkspace {
  /** Every valid spec of the loaded projects, dependencies before dependents. */
  specs: FingerprintedSpec[];
  /** Specs that could not be used, each with its own error; the others still run. */
  failures: SpecFailure[];
}

function asSpecwrightError(error: unknown, file: string): SpecwrightError {
  if (isSpecwrightError(error)) return error;
  return new SpecwrightError(describeError(error), { file, fix: 'report a bug with this spec attached', code: 'INTERNAL', cause: error });
}

/**
 * discover → parse → contracts → fingerprint for a set of projects. A spec that is broken fails alone (and the
 * specs that depend on it); set-level problems — duplicate ids, unknown dependencies, cycles — fail the load,
 * because no fingerprint can be trusted while they stand.
 */
export function loadSpecs(workspaceRoot: string, projects: readonly ProjectRef[], options: NormalizedOptions, resolver = new ContractResolver(workspaceRoot)): LoadedWorkspace {
  const failures: SpecFailure[] = [];
  const parsed: ParsedSpec[] = [];
  // A listed test or types file that does not exist is a spec error now, not a failed gate after model calls.
  const fileExists = (path: string) => existsSync(join(workspaceRoot, path));
  for (const project of projects) {
    for (const file of discoverSpecFiles(workspaceRoot, project.root)) {
      try {
        const source = readFileSync(join(workspaceRoot, file), 'utf8');
        parsed.push(parseSpec(source, { file, projectRoot: project.root, project: project.name }, { fileExists }));
      } catch (error) {
        failures.push({ file, error: asSpecwrightError(error, file) });
      }
    }
  }

  const failedFiles = new Set(failures.map((failure) => failure.file));
  // A dependency on a spec that failed to parse is not "unknown": the spec fails, naming its broken dependency.
  const parsedIds = new Set(parsed.map((spec) => spec.spec.id));
  const usable = dropDependentsOfFailures(parsed, failures, (id) => failedFiles.size > 0 && !parsedIds.has(id));
  const ordered = orderSpecs(usable);
  const resolved = [];
  for (const spec of ordered) {
    try {
      resolved.push(resolver.resolve(spec));
    } catch (error) {
      failures.push({ file: spec.file, error: asSpecwrightError(error, spec.file) });
    }
  }
  const resolvedIds = new Set(resolved.map((spec) => spec.spec.id));
  const complete = dropDependentsOfFailures(resolved, failures, (id) => !resolvedIds.has(id));
  return { specs: fingerprintInOrder(complete, options), failures };
}

/** Removes, transitively, the specs that depend on a failed one, recording a failure for each. */
function dropDependentsOfFailures<T extends ParsedSpec>(specs: T[], failures: SpecFailure[], isFailedId: (id: string) => boolean): T[] {
  const failedIds = new Set<string>();
  let usable = specs;
  for (let changed = true; changed; ) {
    changed = false;
    usable = usable.filter((spec) => {
      const broken = spec.spec.dependsOn.find((id) => failedIds.has(id) || isFailedId(id));
      if (broken === undefined) return true;
      failedIds.add(spec.spec.id);
      failures.push({
        file: spec.file,
        error: new SpecwrightError(`dependency "${broken}" cannot be used (see its own error)`, {
          file: spec.file,
          ...positionOfText(spec.source, broken, Math.max(0, spec.source.search(/^dependsOn\s*:/m))),
          expected: 'every dependsOn spec to be valid',
          fix: "fix the dependency's spec first",
          code: 'SPEC_DEPENDENCY_INVALID',
        }),
      });
      changed = true;
      return false;
    });
  }
  return usable;
}
