'use strict';
// The type-check process (type-worker.ts): the gate process forks it with the workspace root as its argument.
require('../../bin/entry.cjs').loadModule('gates/type-worker-main').serveTypeChecks(process.argv[2]);
