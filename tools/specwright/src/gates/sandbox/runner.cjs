/*
 * The sandbox child: loads the staged candidate modules and answers calls from the parent (SandboxWorker) over the
 * IPC channel. Spawned by path as `node [isolation flags] --require lockdown.cjs runner.cjs`; it holds on to the few
 * process functions it needs before any candidate code runs. Every answer carries what the lockdown denied since
 * the previous one, so a denial the candidate caught is still reported.
 */
'use strict';
const send = process.send.bind(process);
const exit = process.exit.bind(process);
// CPU time of this process, for the cost gate: unlike wall time it does not grow when other processes take the CPU.
const cpuUsage = process.cpuUsage.bind(process);
function cpuMsSince(start) {
  const used = cpuUsage(start);
  return (used.user + used.system) / 1000;
}
const DENIALS = Symbol.for('specwright.denials');
const denials = typeof globalThis[DENIALS] === 'function' ? globalThis[DENIALS] : () => [];
delete globalThis[DENIALS];
// the runner's own module (and through it the loader) is nothing the candidate needs
try { Object.defineProperty(process, 'mainModule', { value: undefined, writable: false, configurable: false }); } catch (_) {}
const functions = new Map();
let invariants = {};
function snapshot(value) {
  try { return { ok: true, value: structuredClone(value) }; } catch (_) { return { ok: false }; }
}
function key(path, k) {
  if (/^(0|[1-9][0-9]*)$/.test(k)) return path + '[' + k + ']';
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? path + '.' + k : path + '[' + JSON.stringify(k) + ']';
}
// The first place where two values differ (Object.is on leaves, so NaN equals NaN and -0 differs from 0), or ''.
function difference(a, b, path, depth) {
  if (Object.is(a, b)) return '';
  if (depth > 40 || a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return path;
  if (Array.isArray(a) !== Array.isArray(b)) return path;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime()) ? '' : path;
  if (a instanceof Map || a instanceof Set) {
    if (!(b instanceof Map || b instanceof Set) || a.size !== b.size) return path;
    return difference([...a.entries()], [...b.entries()], path, depth + 1);
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return path + ' (keys ' + JSON.stringify(ka).slice(0, 80) + ' → ' + JSON.stringify(kb).slice(0, 80) + ')';
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return key(path, k);
    const inner = difference(a[k], b[k], key(path, k), depth + 1);
    if (inner) return inner;
  }
  return '';
}
// A mutable object reachable from both results (one object handed to every caller), or ''. Frozen objects are
// fine to share: nobody can change them.
function sharedObject(first, second) {
  const seen = new Map();
  const walk = (value, path, depth, visit) => {
    if (value === null || typeof value !== 'object' || depth > 20) return '';
    const hit = visit(value, path);
    if (hit) return hit;
    for (const k of Object.keys(value).slice(0, 200)) {
      const inner = walk(value[k], key(path, k), depth + 1, visit);
      if (inner) return inner;
    }
    return '';
  };
  walk(first, 'result', 0, (value, path) => { if (!seen.has(value)) seen.set(value, path); return ''; });
  return walk(second, 'result', 0, (value, path) => (seen.has(value) && !Object.isFrozen(value) ? path : ''));
}
function describeError(e) {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) {
    return { name: undefined, message: String(e), chain: [], thrown: typeof e };
  }
  const chain = [];
  try {
    let proto = Object.getPrototypeOf(e);
    while (proto && chain.length < 12) {
      const ctor = Object.prototype.hasOwnProperty.call(proto, 'constructor') ? proto.constructor : undefined;
      if (ctor && typeof ctor.name === 'string' && ctor.name) chain.push(ctor.name);
      proto = Object.getPrototypeOf(proto);
    }
  } catch (_) {}
  let name, message, stack;
  try { name = e.name === undefined ? undefined : String(e.name).slice(0, 200); } catch (_) {}
  try { message = e.message === undefined ? undefined : String(e.message).slice(0, 2000); } catch (_) {}
  try { stack = typeof e.stack === 'string' ? e.stack.split('\n').slice(0, 15).join('\n').slice(0, 4000) : undefined; } catch (_) {}
  const described = { name, message, chain, stack };
  // what a denial says about itself (permission model, lockdown, network namespace)
  for (const key of ['code', 'capability', 'permission', 'api']) {
    try { if (typeof e[key] === 'string') described[key] = e[key].slice(0, 100); } catch (_) {}
  }
  return described;
}
function reply(message) {
  try {
    send(message);
  } catch (error) {
    // the value cannot be cloned (a function, a symbol…): describe it instead
    let description;
    try { description = Object.prototype.toString.call(message.value) + ' ' + String(message.value).slice(0, 200); } catch (_) { description = typeof message.value; }
    send({ t: message.t, id: message.id, index: message.index, ok: message.ok, unserializable: description, ms: message.ms, denials: message.denials });
  }
}
process.on('disconnect', () => exit(0));
process.on('uncaughtException', (error) => { try { send({ t: 'uncaught', error: describeError(error) }); } catch (_) {} });
process.on('unhandledRejection', () => {});
process.on('message', async (message) => {
  if (message.t === 'load') {
    const errors = [];
    for (const file of message.modules) {
      try {
        const mod = require(file);
        for (const key of Object.keys(mod)) {
          if (typeof mod[key] === 'function' && !functions.has(key)) functions.set(key, mod[key]);
        }
      } catch (error) {
        errors.push({ module: file, error: describeError(error) });
      }
    }
    if (message.invariants && errors.length === 0) {
      try {
        invariants = require(message.invariants)(Object.fromEntries(functions));
      } catch (error) {
        errors.push({ module: message.invariants, error: describeError(error) });
      }
    }
    send({ t: 'loaded', exports: [...functions.keys()], errors, denials: denials() });
    return;
  }
  if (message.t === 'call') {
    reply(await perform(message.id, message.name, message.args, message.checks));
    return;
  }
  if (message.t === 'batch') {
    // Many calls in one message: each answer goes back as soon as its call ends (the parent times every call from
    // the previous answer, as for single calls), without a round trip before the next call.
    for (let index = 0; index < message.calls.length; index++) {
      const call = message.calls[index];
      const report = await perform(message.id, call.name, call.args, call.checks);
      report.index = index;
      reply(report);
    }
  }
});
// One call of an export, with the checks the parent asked for; the report the parent turns into an outcome.
async function perform(id, name, args, checks) {
  const fn = functions.get(name);
  if (!fn) return { t: 'result', id, missing: true, available: [...functions.keys()] };
  checks = checks || {};
  const rules = checks.invariants ? invariants[name] || [] : [];
  // The arguments as they were before the call: mutation is compared against them, and invariants and the second
  // (purity) call get their own untouched copy.
  const pristine = checks.purity || rules.length > 0 ? snapshot(args) : undefined;
  const started = process.hrtime.bigint();
  const cpuStart = cpuUsage();
  let value;
  try {
    value = fn(...args);
    if (value && typeof value.then === 'function') value = await value;
  } catch (error) {
    const report = { t: 'result', id, ok: false, error: describeError(error), ms: Number(process.hrtime.bigint() - started) / 1e6, denials: denials() };
    if (checks.purity && pristine.ok) {
      const mutated = difference(pristine.value, args, 'args', 0);
      if (mutated) report.purity = { mutated };
    }
    return report;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const report = { t: 'result', id, ok: true, value, ms, cpuMs: cpuMsSince(cpuStart) };
  if (checks.purity && pristine.ok) {
    const purity = {};
    const mutated = difference(pristine.value, args, 'args', 0);
    if (mutated) purity.mutated = mutated;
    else {
      try {
        let again = fn(...snapshot(pristine.value).value);
        if (again && typeof again.then === 'function') again = await again;
        const shared = sharedObject(value, again);
        if (shared) purity.shared = shared;
        else {
          const differs = difference(value, again, 'result', 0);
          if (differs) purity.nondeterministic = differs;
        }
      } catch (error) {
        purity.nondeterministic = 'the same call threw the second time: ' + String(describeError(error).message);
      }
    }
    if (Object.keys(purity).length) report.purity = purity;
  }
  if (rules.length > 0 && pristine.ok) {
    const failed = [];
    for (const rule of rules) {
      try {
        if (!rule.check(snapshot(pristine.value).value, value)) failed.push({ name: rule.name });
      } catch (error) {
        failed.push({ name: rule.name, error: describeError(error).name + ': ' + describeError(error).message });
      }
    }
    if (failed.length) report.invariants = failed;
  }
  report.denials = denials();
  return report;
}
send({ t: 'ready' });
