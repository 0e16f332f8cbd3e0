/**
 * Which modules a candidate may import: outputs of its own spec and its dependsOn specs (and their types files),
 * entries of `constraints.allowedImports`, Node built-ins its capabilities grant, workspace packages of dependsOn
 * projects. One source of truth for the import rules and for the sandbox's list of denied built-ins.
 */
import type { Capability } from '../../types';
import {
  allowedRelativeTargets,
  builtinName,
  fileExistsOnDisk,
  isRelativeSpecifier,
  posix,
  resolveRelative,
  resolveWorkspacePackage,
  stripExtension,
} from '../util';
import type { ImportChecker, SafetyContext } from './rule';

/** Node built-ins that a capability unlocks. `worker_threads`/`cluster` start code outside the sandbox like processes. */
export const CAPABILITY_MODULES: Record<string, Capability> = {
  fs: 'fs',
  'fs/promises': 'fs',
  net: 'net',
  http: 'net',
  https: 'net',
  http2: 'net',
  dgram: 'net',
  dns: 'net',
  'dns/promises': 'net',
  tls: 'net',
  child_process: 'child_process',
  worker_threads: 'child_process',
  cluster: 'child_process',
  process: 'env',
  crypto: 'crypto',
  timers: 'timers',
  'timers/promises': 'timers',
};

/** Built-ins no capability grants: they run code from strings, load native code or reach into the runtime. */
export const NEVER_MODULES = new Set(['vm', 'v8', 'inspector', 'inspector/promises', 'module', 'repl', 'wasi', 'trace_events']);

export class ImportPolicy implements ImportChecker {
  private readonly relativeTargets: Set<string>;
  private readonly relativeTargetsNoExt: Set<string>;
  private readonly bareAllowed: string[];
  private readonly capabilities: Set<Capability>;
  private readonly dependencyProjects: Set<string>;

  constructor(private readonly context: SafetyContext) {
    const { spec, specsById } = context;
    this.relativeTargets = allowedRelativeTargets(spec, specsById);
    this.capabilities = new Set(spec.spec.constraints?.capabilities ?? []);
    const specDir = posix.dirname(spec.file);
    this.bareAllowed = [];
    for (const entry of spec.spec.constraints?.allowedImports ?? []) {
      if (isRelativeSpecifier(entry)) this.relativeTargets.add(posix.normalize(posix.join(specDir, entry)));
      else this.bareAllowed.push(entry);
    }
    this.relativeTargetsNoExt = new Set([...this.relativeTargets].map(stripExtension));
    this.dependencyProjects = new Set(
      (spec.spec.dependsOn ?? []).map((id) => specsById.get(id)?.projectRoot).filter((root): root is string => !!root),
    );
  }

  private exists = (file: string): boolean =>
    this.context.files.has(file) || this.relativeTargets.has(file) || fileExistsOnDisk(this.context.workspaceRoot, file);

  /** Undefined when the import is fine, else [rule, message]. */
  check(fromFile: string, specifier: string, typeOnly: boolean): ['forbidden-module' | 'import-not-allowed', string] | undefined {
    if (isRelativeSpecifier(specifier) || specifier.startsWith('/')) {
      if (specifier.startsWith('/')) {
        return ['import-not-allowed', `absolute import '${specifier}' is not allowed; import outputs of this spec or its dependsOn specs by a relative path`];
      }
      const resolved = resolveRelative(fromFile, specifier, this.exists);
      const joined = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
      if (resolved && (this.relativeTargets.has(resolved) || this.relativeTargetsNoExt.has(stripExtension(resolved)))) return undefined;
      if (!resolved && this.relativeTargetsNoExt.has(stripExtension(joined))) return undefined;
      return [
        'import-not-allowed',
        `'${specifier}' (${resolved ?? `${joined}, not found`}) is not an output of this spec, of its dependsOn specs or its types file; add the spec that owns it to dependsOn, or '${specifier}' to constraints.allowedImports`,
      ];
    }
    const builtin = builtinName(specifier);
    if (builtin !== undefined) {
      if (typeOnly) return undefined;
      if (NEVER_MODULES.has(builtin)) {
        return ['forbidden-module', `Node built-in '${specifier}' is never allowed in generated code (no capability grants it); implement the logic without it`];
      }
      const capability = CAPABILITY_MODULES[builtin];
      if (capability) {
        if (this.capabilities.has(capability)) return undefined;
        return ['forbidden-module', `import of '${specifier}' needs capability '${capability}'; remove it, or grant '${capability}' in constraints.capabilities`];
      }
      if (this.bareAllowed.some((entry) => entry === specifier || entry === builtin || entry === `node:${builtin}`)) return undefined;
      return ['import-not-allowed', `Node built-in '${specifier}' is not in constraints.allowedImports; remove it or add 'node:${builtin}' to allowedImports`];
    }
    if (this.bareAllowed.some((entry) => specifier === entry || specifier.startsWith(`${entry}/`))) return undefined;
    const workspacePackage = resolveWorkspacePackage(this.context.workspaceRoot, specifier, (f) => fileExistsOnDisk(this.context.workspaceRoot, f));
    if (workspacePackage && this.dependencyProjects.has(workspacePackage.dir)) return undefined;
    return ['import-not-allowed', `package '${specifier}' is not in constraints.allowedImports; remove it or add '${specifier}' to allowedImports`];
  }
}
