import { posix } from 'node:path';
import { canonicalJson, sha256 } from './fs-utils';
import type { NormalizedOptions } from './options';
import { PROMPT_VERSION } from './prompt';
import type { FingerprintedSpec, ResolvedSpec } from './types';

export interface EffectiveModel {
  name: string;
  temperature: number;
}

export function effectiveModel(spec: ResolvedSpec, options: Pick<NormalizedOptions, 'model' | 'temperature'>): EffectiveModel {
  return { name: spec.spec.model.name ?? options.model, temperature: spec.spec.model.temperature ?? options.temperature };
}

/**
 * A spec's fingerprint: everything that, when it changes, should change the generated code. The normalized spec
 * (defaults filled, so adding a default value by hand changes nothing), its resolved contracts (so editing a TS
 * type makes its specs stale), its place in the project, the fingerprints of the specs it depends on, the prompt
 * template version and the model settings. Attempts, timeouts and the output limit are left out: they change how hard we try, not
 * what we ask for.
 */
export function fingerprintSpec(spec: ResolvedSpec, dependencyFingerprints: Record<string, string>, model: EffectiveModel): string {
  const { maxAttempts: _attempts, timeoutMs: _timeout, maxOutputTokens: _outputLimit, ...modelOverrides } = spec.spec.model;
  return sha256(
    canonicalJson({
      promptVersion: PROMPT_VERSION,
      spec: { ...spec.spec, model: modelOverrides },
      specFile: posix.relative(spec.projectRoot, spec.file),
      contracts: spec.contracts,
      dependsOn: dependencyFingerprints,
      model,
    }),
  );
}

/** Fingerprints specs given in dependency order (see graph.ts), so every dependency is done before its dependents. */
export function fingerprintInOrder(ordered: ResolvedSpec[], options: Pick<NormalizedOptions, 'model' | 'temperature'>): FingerprintedSpec[] {
  const done = new Map<string, string>();
  return ordered.map((spec) => {
    const deps: Record<string, string> = {};
    for (const id of spec.spec.dependsOn) {
      const fingerprint = done.get(id);
      if (fingerprint === undefined) throw new Error(`internal: ${spec.spec.id} fingerprinted before its dependency ${id}`);
      deps[id] = fingerprint;
    }
    const fingerprint = fingerprintSpec(spec, deps, effectiveModel(spec, options));
    done.set(spec.spec.id, fingerprint);
    return { ...spec, fingerprint };
  });
}
