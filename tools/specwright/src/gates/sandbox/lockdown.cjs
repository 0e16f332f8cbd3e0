/*
 * The sandbox lockdown: loaded with `node --require lockdown.cjs` into every process that runs candidate code (the
 * examples/properties runner and vitest's test workers), before any candidate code. It takes away what the spec
 * grants no capability for, at the level of the built-in modules themselves, so that every way of reaching them —
 * `require`, `import`, `process.getBuiltinModule`, a destructured alias, a computed name — gets the same denied stub:
 *
 * - network: the functions of net/http/https/http2/dgram/dns/tls and the fetch/WebSocket/EventSource globals;
 * - child processes and workers: child_process, cluster, worker_threads.Worker;
 * - never granted: process.binding/_linkedBinding/dlopen, process.kill/chdir/setuid…, inspector, wasi,
 *   v8.setFlagsFromString, and (runner only) vm;
 * - timers, for pure specs without the 'timers' capability (runner only);
 * - the environment: reads from candidate code are recorded when 'env' is not granted (the env is scrubbed anyway).
 *
 * Each denial throws an Error with code ERR_SANDBOX_DENIED and `capability`, and is also recorded in
 * a list the runner drains after every call, so a denial the candidate catches and swallows is still reported.
 * This is one layer: the OS (network namespace, read-only mounts) and Node's permission model are the others.
 *
 * Configuration: the SPECWRIGHT_SANDBOX environment variable (JSON), removed from the environment here.
 */
'use strict';
(function lockdown() {
  const raw = process.env.SPECWRIGHT_SANDBOX;
  delete process.env.SPECWRIGHT_SANDBOX;
  let config = {};
  try {
    config = raw ? JSON.parse(raw) : {};
  } catch (_) {
    config = {};
  }
  const grants = new Set(Array.isArray(config.grants) ? config.grants : []);
  const mode = config.mode === 'tests' ? 'tests' : 'runner';
  const candidateRoot = typeof config.candidateRoot === 'string' ? config.candidateRoot : undefined;
  // in vitest's workers: the candidate's own files among the tests and the rest of the project
  const candidateFiles = Array.isArray(config.candidateFiles) ? config.candidateFiles.filter((file) => typeof file === 'string') : [];
  const isCandidateFrame = (frame) => (candidateRoot !== undefined && frame.startsWith(candidateRoot)) || candidateFiles.some((file) => frame.startsWith(`${file}:`));
  const Module = require('module');
  const ownFile = __filename;

  const denials = [];
  // Captured before any candidate code runs: the drain and the checks below must not use what it can patch.
  const apply = Reflect.apply;
  const splice = Array.prototype.splice;
  const ownKeys = Reflect.ownKeys;
  const getOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
  const push = Array.prototype.push;
  const includes = Array.prototype.includes;

  /**
   * Built-ins the candidate must not patch (a change there is seen by all code of the process, ours included):
   * their own properties now, compared after the candidate loads and after every call. Cheaper than
   * --frozen-intrinsics at every start, and it reports the patch as a finding instead of a TypeError.
   */
  const INTRINSICS = ['Object', 'Function', 'Array', 'String', 'Number', 'Boolean', 'Symbol', 'BigInt', 'Promise', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Date', 'RegExp', 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'JSON', 'Math', 'Reflect', 'Proxy', 'ArrayBuffer', 'Uint8Array', 'Int32Array', 'Float64Array', 'DataView', 'Atomics', 'Intl', 'WeakRef', 'URL', 'Buffer'];
  const watched = [];
  /** What is watched of an object: how many own keys, and the current value of each own data property. */
  function describe(object) {
    const keys = ownKeys(object);
    const dataKeys = [];
    const dataValues = [];
    for (const key of keys) {
      const descriptor = getOwnPropertyDescriptor(object, key);
      if (descriptor && 'value' in descriptor) {
        apply(push, dataKeys, [key]);
        apply(push, dataValues, [descriptor.value]);
      }
    }
    return { count: keys.length, keys, dataKeys, dataValues };
  }
  function snapshot(label, object) {
    if ((typeof object !== 'object' && typeof object !== 'function') || object === null) return;
    apply(push, watched, [{ label, object, state: describe(object) }]);
  }
  for (const name of INTRINSICS) {
    const value = globalThis[name];
    snapshot(name, value);
    if (typeof value === 'function' && value.prototype) snapshot(`${name}.prototype`, value.prototype);
  }
  snapshot('Function.prototype', Object.getPrototypeOf(function () {}));
  /** A few hundred property reads: cheap enough to run after every call (a key added or a method replaced). */
  // indexed loops: a patched array iterator must not blind the check
  function checkIntrinsics() {
    for (let w = 0; w < watched.length; w++) {
      const entry = watched[w];
      const { object, state } = entry;
      const keys = ownKeys(object);
      let changed;
      if (keys.length !== state.count) {
        for (let k = 0; k < keys.length; k++) if (!apply(includes, state.keys, [keys[k]])) changed = keys[k];
        if (changed === undefined) changed = '(a property removed)';
      }
      for (let i = 0; changed === undefined && i < state.dataKeys.length; i++) {
        const now = object[state.dataKeys[i]];
        if (now !== state.dataValues[i] && !(now !== now && state.dataValues[i] !== state.dataValues[i])) changed = state.dataKeys[i];
      }
      if (changed !== undefined) {
        record('never', `patching the built-in ${entry.label}.${String(changed)}`, false);
        // reported once: the patched state is the new normal
        entry.state = describe(object);
      }
    }
  }

  let drains = 0;
  // The runner takes this drain (and deletes it) before any candidate code loads, so the candidate cannot erase
  // its own record.
  Object.defineProperty(globalThis, Symbol.for('specwright.denials'), {
    value: () => {
      // every answer for the first calls (loading, the examples), then every 8th: a patch is reported either way,
      // and the properties' hundred calls do not pay a fifth of a millisecond each
      drains++;
      if (drains <= 16 || drains % 8 === 0) checkIntrinsics();
      return apply(splice, denials, [0, denials.length]);
    },
    enumerable: false,
    configurable: true,
    writable: false,
  });

  /** The absolute `file:line:col` frames of the current stack, outside this file (Node's own frames included). */
  function frames() {
    const out = [];
    for (const line of String(new Error().stack || '').split('\n').slice(1)) {
      const match = /(?:\(|at )((?:node:|\/|[A-Za-z]:\\)[^\s()]*?):(\d+):(\d+)\)?\s*$/.exec(line);
      if (match && match[1] !== ownFile) out.push(`${match[1]}:${match[2]}:${match[3]}`);
    }
    return out;
  }

  /** Where a denied call came from: the first frame in the candidate's code, else the first one outside Node. */
  function callerFrame() {
    const all = frames();
    return all.find(isCandidateFrame) || all.find((frame) => !frame.startsWith('node:'));
  }

  /** Whether the candidate's code itself (not Node on its behalf) is the immediate caller. */
  function calledByCandidate() {
    const first = frames()[0];
    return first !== undefined && isCandidateFrame(first);
  }

  // In vitest's workers nobody drains the list: each denial is printed to stderr, where the tests gate finds it.
  const writeSync = require('fs').writeSync;
  let recording = false;
  function record(capability, api, locate = true) {
    if (recording) return undefined;
    recording = true;
    try {
      return recordNow(capability, api, locate);
    } finally {
      recording = false;
    }
  }
  function recordNow(capability, api, locate) {
    const at = locate ? callerFrame() : undefined;
    if (denials.length < 50) apply(push, denials, [{ capability, api, at }]);
    if (mode === 'tests') {
      try {
        writeSync(2, `\n[specwright-sandbox-denied] ${JSON.stringify({ capability, api, at })}\n`);
      } catch (_) {}
    }
    return at;
  }

  function deniedError(capability, api, at) {
    const error = new Error(`sandbox: ${api} needs capability '${capability}', which the spec does not grant`);
    error.code = 'ERR_SANDBOX_DENIED';
    error.capability = capability;
    error.api = api;
    if (at) error.at = at;
    return error;
  }

  function stub(capability, api) {
    const denied = function () {
      throw deniedError(capability, api, record(capability, api));
    };
    Object.defineProperty(denied, 'name', { value: api.split('.').pop() });
    return denied;
  }

  // Streams created lazily on first use build net/tty sockets: create them now, before net is stubbed.
  for (const stream of ['stdin', 'stdout', 'stderr']) {
    try {
      void process[stream];
    } catch (_) {}
  }

  /**
   * Replaces `names` (or every function) of a built-in, in place: require, import and getBuiltinModule all see it.
   * In the runner (CommonJS only: the candidate has no way to a native `import`) a module is stubbed when first
   * loaded, through the two doors that load built-ins (Module._load, process.getBuiltinModule) — loading http2, tls
   * or inspector up front would cost every sandbox start a tenth of a second. vitest's workers import natively, so
   * there every module is stubbed up front.
   */
  const lazy = new Map();
  function stubModule(name, capability, names) {
    if (mode === 'runner' && !require('module').isBuiltin(name)) return;
    if (mode === 'runner' && name !== 'net') {
      lazy.set(name, [capability, names]);
      return;
    }
    stubNow(name, capability, names);
  }
  function stubNow(name, capability, names) {
    let exported;
    try {
      exported = require(name);
    } catch (_) {
      return;
    }
    const keys = names || Object.keys(exported).filter((key) => typeof exported[key] === 'function');
    for (const key of keys) {
      try {
        Object.defineProperty(exported, key, { value: stub(capability, `${name}.${key}`), writable: false, configurable: false, enumerable: true });
      } catch (_) {}
    }
  }

  /** Stubs prototype methods of a built-in class, captured before the module's exports are stubbed. */
  function stubMethods(name, className, methods) {
    const prototype = prototypes[`${name}.${className}`];
    if (!prototype) return;
    for (const method of methods) {
      try {
        Object.defineProperty(prototype, method, { value: stub('net', `${name}.${className}.prototype.${method}`), writable: false, configurable: false });
      } catch (_) {}
    }
  }
  const prototypes = {};
  try {
    prototypes['net.Socket'] = require('net').Socket.prototype;
    prototypes['net.Server'] = require('net').Server.prototype;
    prototypes['dgram.Socket'] = require('dgram').Socket.prototype;
  } catch (_) {}

  if (!grants.has('net')) {
    // the underscore modules are the public doors behind http/tls: stub them too
    for (const name of ['net', 'http', 'https', 'http2', 'dgram', 'dns', 'dns/promises', 'tls', '_tls_wrap', '_http_client', '_http_agent', '_http_server']) stubModule(name, 'net');
    // Sockets that already exist (stdio pipes) lead to the classes: stub the methods that open connections too.
    stubMethods('net', 'Socket', ['connect']);
    stubMethods('net', 'Server', ['listen']);
    stubMethods('dgram', 'Socket', ['bind', 'connect', 'send']);
    for (const name of ['fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest']) {
      try {
        Object.defineProperty(globalThis, name, { value: stub('net', name), writable: false, configurable: false, enumerable: false });
      } catch (_) {}
    }
  }
  if (!grants.has('child_process')) {
    stubModule('child_process', 'child_process');
    stubModule('cluster', 'child_process', ['fork', 'setupPrimary', 'setupMaster']);
    stubModule('worker_threads', 'child_process', ['Worker']);
  }
  stubModule('inspector', 'never', undefined);
  stubModule('wasi', 'never', ['WASI']);
  stubModule('v8', 'never', ['setFlagsFromString', 'writeHeapSnapshot', 'getHeapSnapshot']);
  stubModule('trace_events', 'never', ['createTracing']);
  if (mode === 'runner') stubModule('vm', 'never', undefined);

  for (const key of ['binding', '_linkedBinding', 'dlopen', 'kill', '_kill', 'chdir', 'umask', 'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups', 'abort', '_debugProcess', 'setSourceMapsEnabled', 'loadEnvFile']) {
    try {
      if (key in process) Object.defineProperty(process, key, { value: stub('never', `process.${key}`), writable: false, configurable: false });
    } catch (_) {}
  }

  if (mode === 'runner' && config.pure === true && !grants.has('timers')) {
    for (const key of ['setTimeout', 'setInterval', 'setImmediate']) {
      try {
        Object.defineProperty(globalThis, key, { value: stub('timers', key), writable: false, configurable: false });
      } catch (_) {}
    }
    stubModule('timers', 'timers', ['setTimeout', 'setInterval', 'setImmediate']);
    stubModule('timers/promises', 'timers', ['setTimeout', 'setInterval', 'setImmediate']);
  }

  // Runner only: vitest redefines process.env in its workers, which a guarded env would break (there the
  // environment is scrubbed, and reads of it find nothing).
  if (mode === 'runner' && !grants.has('env') && candidateRoot) {
    // The environment is PATH only; a read from the candidate's own code still says it wanted more.
    const real = process.env;
    // Building a stack can read the environment itself (source-map support does): never re-enter.
    let inside = false;
    const fromCandidate = () => {
      if (inside) return false;
      inside = true;
      try {
        return calledByCandidate();
      } finally {
        inside = false;
      }
    };
    const guarded = new Proxy(real, {
      get(target, key) {
        if (typeof key === 'string' && fromCandidate()) record('env', `process.env.${key}`);
        return Reflect.get(target, key);
      },
      ownKeys(target) {
        if (fromCandidate()) record('env', 'process.env');
        return Reflect.ownKeys(target);
      },
    });
    try {
      Object.defineProperty(process, 'env', { value: guarded, writable: false, configurable: false, enumerable: true });
    } catch (_) {}
  }

  if (mode === 'runner' && lazy.size > 0) {
    const stubOnFirstLoad = (request) => {
      if (typeof request !== 'string') return;
      const name = request.startsWith('node:') ? request.slice(5) : request;
      const pending = lazy.get(name);
      if (!pending) return;
      lazy.delete(name);
      stubNow(name, pending[0], pending[1]);
    };
    const load = Module._load;
    try {
      Object.defineProperty(Module, '_load', {
        value: function (request) {
          stubOnFirstLoad(request);
          return Reflect.apply(load, this, arguments);
        },
        writable: false,
        configurable: false,
      });
    } catch (_) {}
    const getBuiltinModule = process.getBuiltinModule;
    if (typeof getBuiltinModule === 'function') {
      try {
        Object.defineProperty(process, 'getBuiltinModule', {
          value: function (request) {
            stubOnFirstLoad(request);
            return Reflect.apply(getBuiltinModule, process, arguments);
          },
          writable: false,
          configurable: false,
        });
      } catch (_) {}
    }
  }

  // `import` of a built-in reads its ESM facade, which is synced here; require and process.getBuiltinModule return
  // the stubbed exports objects themselves.
  try {
    Module.syncBuiltinESMExports();
  } catch (_) {}
})();
