/*
 * The sandbox child: loads the staged candidate modules and answers calls from the parent (SandboxWorker) over the
 * IPC channel. Spawned by path as `node [isolation flags] --require lockdown.cjs runner.cjs`; it holds on to the few
 * process functions it needs before any candidate code runs. Every answer carries what the lockdown denied since
 * the previous one, so a denial the candidate caught is still reported.
 */
'use strict';
const send = process.send.bind(process);
const exit = process.exit.bind(process);
const DENIALS = Symbol.for('specwright.denials');
const denials = typeof globalThis[DENIALS] === 'function' ? globalThis[DENIALS] : () => [];
delete globalThis[DENIALS];
// the runner's own module (and through it the loader) is nothing the candidate needs
try { Object.defineProperty(process, 'mainModule', { value: undefined, writable: false, configurable: false }); } catch (_) {}
const functions = new Map();
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
    send({ t: message.t, id: message.id, ok: message.ok, unserializable: description, ms: message.ms, denials: message.denials });
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
    send({ t: 'loaded', exports: [...functions.keys()], errors, denials: denials() });
    return;
  }
  if (message.t === 'call') {
    const fn = functions.get(message.name);
    if (!fn) {
      send({ t: 'result', id: message.id, missing: true, available: [...functions.keys()] });
      return;
    }
    const started = process.hrtime.bigint();
    try {
      let value = fn(...message.args);
      if (value && typeof value.then === 'function') value = await value;
      reply({ t: 'result', id: message.id, ok: true, value, ms: Number(process.hrtime.bigint() - started) / 1e6, denials: denials() });
    } catch (error) {
      send({ t: 'result', id: message.id, ok: false, error: describeError(error), ms: Number(process.hrtime.bigint() - started) / 1e6, denials: denials() });
    }
  }
});
send({ t: 'ready' });
