import { moduleImportRule } from './module-import-rule';

/** Node built-ins no capability grants (vm, v8, inspector…), or that need a capability the spec does not grant. */
export const forbiddenModule = moduleImportRule('forbidden-module', 'imports of Node built-ins that are never allowed or need an ungranted capability');
