import { moduleImportRule } from './module-import-rule';

/** Modules outside the spec's allowed set: not an output of it or its dependsOn specs, not in allowedImports. */
export const importNotAllowed = moduleImportRule('import-not-allowed', 'imports of modules that are not outputs of this spec or its dependsOn specs, nor in allowedImports');
