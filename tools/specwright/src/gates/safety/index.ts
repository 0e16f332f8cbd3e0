/**
 * Every safety rule, one module each under `./rules/`. To add a rule: write `rules/<id>.ts` exporting a
 * `defineRule({ id, description, create })`, add its id to `SafetyRule` in `./rule.ts`, and list it here.
 */
import { forbiddenApi } from './rules/forbidden-api';
import { forbiddenModule } from './rules/forbidden-module';
import { importNotAllowed } from './rules/import-not-allowed';
import { noDynamicImport } from './rules/no-dynamic-import';
import { noDynamicRequire } from './rules/no-dynamic-require';
import { noComputedGlobalAccess } from './rules/no-computed-global-access';
import { noEval } from './rules/no-eval';
import { noForeignMutation } from './rules/no-foreign-mutation';
import { noFunctionConstructor } from './rules/no-function-constructor';
import { noGlobalMutation } from './rules/no-global-mutation';
import { noHardcodedSecret } from './rules/no-hardcoded-secret';
import { noMathRandom } from './rules/no-math-random';
import { noModuleLoader } from './rules/no-module-loader';
import { noNetwork } from './rules/no-network';
import { noProcessControl } from './rules/no-process-control';
import { noProcessEnv } from './rules/no-process-env';
import { noProcessInternals } from './rules/no-process-internals';
import { pureNoClock } from './rules/pure-no-clock';
import { pureNoMutableState } from './rules/pure-no-mutable-state';
import { pureNoTimers } from './rules/pure-no-timers';
import type { SafetyRuleModule } from './rule';

export const RULES: readonly SafetyRuleModule[] = [
  pureNoMutableState,
  forbiddenModule,
  importNotAllowed,
  noDynamicRequire,
  noDynamicImport,
  noEval,
  noFunctionConstructor,
  noNetwork,
  noGlobalMutation,
  noProcessEnv,
  noProcessInternals,
  noProcessControl,
  noMathRandom,
  pureNoClock,
  pureNoTimers,
  noHardcodedSecret,
  noComputedGlobalAccess,
  noModuleLoader,
  noForeignMutation,
  forbiddenApi,
];

export { defineRule, type NodeKindName, type RuleContext, type RuleVisitor, type SafetyContext, type SafetyFinding, type SafetyRule, type SafetyRuleModule } from './rule';
export { CAPABILITY_MODULES, ImportPolicy, NEVER_MODULES } from './import-policy';
