// The scripting bridge: Redis's Lua API (redis.call, pcall, error_reply ...) on fengari, a
// Lua 5.3 VM in JavaScript, made to behave like Redis's Lua 5.1 where scripts can tell:
// integral floats print without ".0", 5.1 globals (unpack, table.getn ...), read-only
// globals, Redis's error handler, its value conversions and its error texts.
//
// One Lua state serves every SimRedis in the process (compiling a script and opening a
// state cost more than a whole simulated command): scripts cannot keep state in globals,
// KEYS/ARGV are set for each call and math.random is reseeded for each call, so sharing
// it changes no reply. Each SimRedis keeps its own script cache (the sha1s it knows).
//
// A Lua string is bytes, and so is every string of the engine (a byte string, bytes.ts): they
// convert one char code to one byte, both ways (KEYS, ARGV, redis.call's arguments and replies,
// a script's source and its errors), never through UTF-8.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { cString } from './bytes.ts';
import { formatG, installLua51Base, installLua51Format, installLuaLibraries, str2number } from './lua-libs.ts';
import { array, bulk, error, int, NIL, type Reply } from './reply.ts';

/** the few fengari entry points used here (fengari ships no types) */
interface Fengari {
  lua: Record<string, any>;
  lauxlib: Record<string, any>;
  lualib: Record<string, any>;
  to_luastring(s: string): Uint8Array;
  to_jsstring(b: Uint8Array): string;
}

function loadFengari(): Fengari {
  const require = createRequire(import.meta.url);
  // fengari reads its configuration once, when first loaded: integral floats print as "2", as in 5.1
  const previous = process.env.FENGARICONF;
  process.env.FENGARICONF = JSON.stringify({ LUA_COMPAT_FLOATSTRING: true });
  try {
    // Lua 5.1 has no integers: what the libraries push as one is a float here. (Patched before
    // the libraries load: they keep their own reference to lua_pushinteger.)
    const internal = createRequire(require.resolve('fengari'));
    const api = internal('./lapi.js') as Record<string, (L: unknown, n: number) => any>;
    const pushnumber = api.lua_pushnumber!;
    api.lua_pushinteger = (L, n) => pushnumber(L, n);
    // and an integer argument of a library function is the number cast to an integer (truncated),
    // as 5.1's luaL_checkinteger does, where 5.3's refuses 2.5 ("number has no integer representation")
    const aux = internal('./lauxlib.js') as Record<string, (L: unknown, arg: number, def?: number) => any>;
    const bytes = (internal('./fengaricore.js') as { to_luastring(s: string): Uint8Array }).to_luastring;
    const argerror = aux.luaL_argerror as unknown as (L: unknown, arg: number, msg: Uint8Array) => number;
    const checkinteger = (L: unknown, arg: number): number => {
      const d = api.lua_tonumberx!(L, arg) as number | false;
      if (d === false) {
        const name = api.lua_typename!(L, api.lua_type!(L, arg)) as Uint8Array;
        return argerror(L, arg, bytes(`number expected, got ${String.fromCharCode(...name)}`));
      }
      const n = Math.trunc(d);
      return Number.isFinite(n) ? Math.max(-2147483648, Math.min(2147483647, n)) : -2147483648;
    };
    aux.luaL_checkinteger = checkinteger;
    aux.luaL_optinteger = (L, arg, def) => ((api.lua_type!(L, arg) as number) <= 0 ? def : checkinteger(L, arg));
    return require('fengari') as Fengari;
  } finally {
    if (previous === undefined) delete process.env.FENGARICONF;
    else process.env.FENGARICONF = previous;
  }
}

const fengari = loadFengari();
const { lua, lauxlib, lualib, to_luastring } = fengari;

/**
 * fengari's own modules behind lua_pushstring, to push a string with no copy: lua_pushstring
 * copies the bytes it is given (luaS_new), and to_luastring builds them through a JS Array
 * first, both with Uint8Array.from. fengari is pinned (0.1.5); these are its lstring.js and
 * lobject.js, the instances the loaded fengari uses.
 */
const internals = createRequire(createRequire(import.meta.url).resolve('fengari'));
const lstring = internals('./lstring.js') as { luaS_bless(L: unknown, bytes: Uint8Array): unknown };
const lobject = internals('./lobject.js') as { pushsvalue2s(L: unknown, ts: unknown): void };
const TValue = (lobject as unknown as { TValue: new (type: number, value: unknown) => unknown }).TValue;

/**
 * fengari's adjust_top (ldo.js), which the VM (lvm.js) and the API (lapi.js) call through the
 * module's exports on every call, return and vararg: the same, except that a slot it frees
 * above the top is set to undefined instead of deleted. Both read back as undefined and the
 * stack's length is kept apart (stack_last); a delete takes V8's slow path every time and leaves
 * a hole. (ldo.js's own calls keep the original.)
 */
const ldo = internals('./ldo.js') as { adjust_top(L: unknown, newtop: number): void };
const NIL_TYPE: number = lua.LUA_TNIL;
ldo.adjust_top = (L, newtop) => {
  const state = L as { stack: unknown[]; top: number };
  const stack = state.stack;
  let top = state.top;
  if (top < newtop) {
    while (top < newtop) stack[top++] = new TValue(NIL_TYPE, null);
  } else {
    while (top > newtop) stack[--top] = undefined;
  }
  state.top = top;
};

/**
 * fengari's luaD_poscall with its moveresults (ldo.js), which the VM calls through the exports
 * when a Lua function returns: the same steps, except that the slots freed above the results
 * are set to undefined instead of deleted (as adjust_top above; the array's length, the stack's
 * size, is left as it is). With a debug hook set it is fengari's own.
 */
interface StackValue { setfrom(v: StackValue): void; setnilvalue(): void }
interface CallInfo { nresults: number; funcOff: number; previous: CallInfo; next: CallInfo | null }
const ldoCalls = ldo as unknown as { luaD_poscall(L: unknown, ci: CallInfo, firstResult: number, nres: number): boolean };
const fengariPoscall = ldoCalls.luaD_poscall;
const MULTRET: number = lua.LUA_MULTRET;
ldoCalls.luaD_poscall = (L, ci, firstResult, nres) => {
  const state = L as { stack: (StackValue | undefined)[]; top: number; hookmask: number; ci: CallInfo };
  if (state.hookmask) return fengariPoscall(L, ci, firstResult, nres);
  const wanted = ci.nresults;
  const res = ci.funcOff;
  state.ci = ci.previous;
  state.ci.next = null;
  const stack = state.stack;
  if (wanted === MULTRET) {
    for (let i = 0; i < nres; i++) stack[res + i]!.setfrom(stack[firstResult + i]!);
    for (let i = Math.min(state.top, stack.length - 1); i >= res + nres; i--) stack[i] = undefined;
    state.top = res + nres;
    return false;
  }
  if (wanted === 1) {
    if (nres === 0) stack[res]!.setnilvalue();
    else stack[res]!.setfrom(stack[firstResult]!);
  } else if (wanted > 0) {
    let i = 0;
    for (; i < Math.min(wanted, nres); i++) stack[res + i]!.setfrom(stack[firstResult + i]!);
    for (; i < wanted; i++) {
      if (res + i >= state.top) stack[res + i] = new TValue(NIL_TYPE, null) as StackValue;
      else stack[res + i]!.setnilvalue();
    }
  }
  const newtop = res + wanted;
  // (from the top itself, as fengari: a slot at the array's end is left alone, or the stack would grow)
  for (let i = Math.min(state.top, stack.length - 1); i >= newtop; i--) stack[i] = undefined;
  state.top = newtop;
  return true;
};

/**
 * Numbers as Lua 5.1 has them: doubles only. fengari (5.3) makes integers of integral numerals,
 * of tonumber's results and of integer arithmetic, 32 bits wide: 0x100000000 would read as 0 and
 * 100000 * 70000 would wrap. Every integer value it would make is made a float instead (the VM's
 * and the API's setivalue; numerals and string conversions through str2num, read as C's strtod
 * reads them), and numbers print as 5.1 prints them, "%.14g". Table keys stay integers inside
 * fengari's tables, which reads the same.
 */
const NUMFLT: number = (internals('./defs.js') as { constant_types: { LUA_TNUMFLT: number } }).constant_types.LUA_TNUMFLT;
(TValue as unknown as { prototype: { setivalue(x: number): void } }).prototype.setivalue = function (this: { type: number; value: unknown }, x: number) {
  this.type = NUMFLT;
  this.value = x;
};
const numbers = lobject as unknown as {
  luaO_str2num(s: Uint8Array, o: { setfltvalue(x: number): void }): number;
  luaO_tostring(L: unknown, o: { ttisinteger(): boolean; value: number; setsvalue(ts: unknown): void }): void;
};
numbers.luaO_str2num = (s, o) => {
  const r = str2number(s);
  if (r === null) return 0;
  o.setfltvalue(r.value);
  return r.size;
};
/** a number as Lua 5.1's tostring and ".." write it */
function numberText(n: number): Uint8Array {
  const text = formatG(n, 14);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
// tostring (luaL_tolstring) writes a float with lua_pushfstring("%f"): that one format, written as 5.1 does
const fstrings = lobject as unknown as { luaO_pushvfstring(L: unknown, fmt: Uint8Array, argp: unknown[]): unknown };
const fengariPushvfstring = fstrings.luaO_pushvfstring;
fstrings.luaO_pushvfstring = (L, fmt, argp) => {
  if (fmt.length === 2 && fmt[0] === 0x25 && fmt[1] === 0x66 && typeof argp[0] === 'number') {
    lobject.pushsvalue2s(L, lstring.luaS_bless(L, numberText(argp[0])));
    return (L as { stack: { svalue(): unknown }[]; top: number }).stack[(L as { top: number }).top - 1]!.svalue();
  }
  return fengariPushvfstring(L, fmt, argp);
};
numbers.luaO_tostring = (L, o) => {
  o.setsvalue(lstring.luaS_bless(L, o.ttisinteger() ? numberText(o.value) : numberText(o.value)));
};

/** a byte string's bytes, in a Uint8Array of its own (as a Lua string holds them) */
function luaBytes(s: string): Uint8Array {
  const n = s.length;
  if (n > 256) return new Uint8Array(Buffer.from(s, 'latin1'));
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/** lua_pushstring of a byte string: its chars are the Lua string's bytes (no UTF-8), blessed as they are (no second copy) */
function pushString(L: unknown, s: string): void {
  const bytes = luaBytes(s);
  pushedBytes.push(bytes);
  pushedText.push(s);
  lobject.pushsvalue2s(L, lstring.luaS_bless(L, bytes));
}

/**
 * The JS strings of Lua strings whose bytes the bridge knows, by the bytes' identity (a Lua
 * string's bytes never change: fengari makes new ones for every new string): the constants of
 * every compiled script (command and field names), for good; and what the bridge pushed during
 * the script that runs now (KEYS, ARGV, redis.call's replies), emptied after it. Decoding a
 * string costs several times a lookup.
 */
const constantText = new Map<Uint8Array, string>();
/** (kept as two arrays searched by identity: hashing a typed array as a Map key costs more than a decode) */
const pushedBytes: Uint8Array[] = [];
const pushedText: string[] = [];
/** how many of the latest pushed strings a lookup searches */
const PUSHED_SEARCH = 32;

/** the byte string of the Lua string at idx (a number converted in place first), null if neither */
function toJsString(L: unknown, idx: number): string | null {
  const bytes: Uint8Array | null = lua.lua_tolstring(L, idx);
  if (bytes === null) return null;
  const known = constantText.get(bytes);
  if (known !== undefined) return known;
  for (let i = pushedBytes.length - 1, stop = Math.max(0, pushedBytes.length - PUSHED_SEARCH); i >= stop; i--) if (pushedBytes[i] === bytes) return pushedText[i]!;
  return decode(bytes);
}

function decode(bytes: Uint8Array): string {
  const n = bytes.length;
  return n <= 1024 ? String.fromCharCode.apply(null, bytes as unknown as number[]) : Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('latin1');
}

/** the string constants of a compiled chunk and of the functions in it, into constantText */
function learnConstants(proto: { k: { value: unknown }[]; p: unknown[] }): void {
  for (const k of proto.k) {
    const bytes = (k.value as { realstring?: unknown } | null)?.realstring;
    if (bytes instanceof Uint8Array) constantText.set(bytes, decode(bytes));
  }
  for (const p of proto.p) learnConstants(p as typeof proto);
}

const L_OK: number = lua.LUA_OK;
const T_NIL: number = lua.LUA_TNIL;
const T_BOOLEAN: number = lua.LUA_TBOOLEAN;
const T_NUMBER: number = lua.LUA_TNUMBER;
const T_STRING: number = lua.LUA_TSTRING;
const T_TABLE: number = lua.LUA_TTABLE;
const REGISTRY: number = lua.LUA_REGISTRYINDEX;
const KEYS = to_luastring('KEYS');
const ARGV = to_luastring('ARGV');
const OK_FIELD = to_luastring('ok');
const ERR_FIELD = to_luastring('err');
/** the two globals set for each call, pushed as the same Lua string each time */
const KEYS_NAME = lstring.luaS_bless(null, KEYS);
const ARGV_NAME = lstring.luaS_bless(null, ARGV);
/**
 * Slots held below every script's frame on the Lua stack (nil values), so that it never holds
 * fewer. fengari's stack is a JS array whose slots above the top it deletes; once it is long
 * (160 slots after a few scripts) and holds few values, V8 turns it into a hash table for good
 * ("dictionary elements"), and every access of the VM to its stack gets several times slower.
 * With this many values below, a hash table would not save V8 enough to switch (up to ~1,100 slots).
 */
const STACK_FLOOR = 64;

/** SHA1 of a byte string's bytes, in hex */
export const sha1hex = (s: string): string => createHash('sha1').update(s, 'latin1').digest('hex');

/** what a running script's redis.call reaches: the engine, in the script's context */
export interface ScriptHost {
  call(argv: string[]): Reply;
}

/** C's "%.17g", as Redis formats a Lua number argument of redis.call */
export function formatG17(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const expForm = x.toExponential(16);
  const e = Number(expForm.slice(expForm.indexOf('e') + 1));
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (e < -4 || e >= 17) {
    const mant = strip(expForm.slice(0, expForm.indexOf('e')));
    return `${mant}e${e < 0 ? '-' : '+'}${Math.abs(e) < 10 ? '0' : ''}${Math.abs(e)}`;
  }
  return strip(x.toFixed(16 - e));
}

/** Redis's luaPushErrorBuff: "-CODE msg" keeps its code, anything else gets ERR (the text a C string: up to a NUL byte) */
function errorText(text: string): string {
  const raw = cString(text);
  let code = 'ERR';
  let msg = raw;
  if (raw.startsWith('-')) {
    const sp = raw.indexOf(' ');
    if (sp < 0) msg = raw.slice(1);
    else {
      code = raw.slice(1, sp);
      msg = raw.slice(sp + 1);
    }
  }
  return `${code} ${msg.replace(/^[\r\n]+|[\r\n]+$/g, '')}`;
}

const SETUP = `
local G = _G
-- Lua 5.1 names that scripts written for Redis use
-- (unpack: set from JavaScript, with 5.1's limit)
loadstring = load
table.getn = function(t) return #t end
math.pow = function(a, b) return a ^ b end
math.mod = math.fmod
math.ldexp = function(m, e) return m * 2.0 ^ e end
string.gfind = string.gmatch
-- no module names to report in an argument error ("bad argument #1 to '?'", as 5.1 says it
-- for a function called through a value, where 5.3 finds 'string.format' in the loaded modules)
local loaded = debug.getregistry()._LOADED
for k in pairs(loaded) do loaded[k] = nil end
-- what Redis does not load
os, io, package, require, dofile, loadfile, print = nil, nil, nil, nil, nil, nil, nil

-- runtime error texts as 5.1 words them: "attempt to index local 'r' (a number value)"
local gsub = string.gsub
local function words51(msg)
  return (gsub(msg, "attempt to (.-) a (%a+) value %((%a+) '(.-)'%)", "attempt to %1 %3 '%4' (a %2 value)"))
end

-- Redis 7's pcall: an error that is a table with an err field gives that field
local rawpcall = pcall
local function caught(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then e = m end
  elseif type(e) == 'string' then
    e = words51(e)
  end
  return false, e
end
pcall = function(...) return caught(rawpcall(...)) end

local dbg = debug
local handler = function(err)
  -- Redis looks at level 2, or 3 when 2 is a C function: the script's own frame. Here the
  -- builtins and this setup code are JavaScript or another chunk, so look for that frame.
  local i = dbg.getinfo(2, 'nSl')
  local l = 2
  while i and i.source ~= '@user_script' do
    l = l + 1
    i = dbg.getinfo(l, 'nSl')
  end
  if type(err) ~= 'table' then
    err = { err = 'ERR ' .. (type(err) == 'string' and words51(err) or tostring(err)) }
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end

local env = {}
for k, v in pairs(G) do env[k] = v end
env._G = env
setmetatable(env, {
  __index = function(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
  __newindex = function()
    error('Attempt to modify a readonly table', 2)
  end,
})
return handler, env
`;

class LuaRuntime {
  private readonly L: unknown;
  private readonly handlerRef: number;
  private readonly envRef: number;
  /** compiled chunks by body (a registry reference each) */
  private readonly compiled = new Map<string, number>();
  private host: ScriptHost | null = null;
  private rand48 = 0n;

  constructor() {
    const L = lauxlib.luaL_newstate();
    this.L = L;
    lualib.luaL_openlibs(L);
    this.installRedisTable();
    installLuaLibraries(fengari, L);
    installLua51Format(fengari, L);
    installLua51Base(fengari, L);
    if (lauxlib.luaL_loadbuffer(L, to_luastring(SETUP), null, to_luastring('=setup')) !== L_OK || lua.lua_pcall(L, 0, 2, 0) !== L_OK) {
      throw new Error(`Lua setup failed: ${lua.lua_tojsstring(L, -1)}`);
    }
    this.envRef = lauxlib.luaL_ref(L, REGISTRY);
    this.handlerRef = lauxlib.luaL_ref(L, REGISTRY);
    lua.lua_checkstack(L, STACK_FLOOR);
    for (let i = 0; i < STACK_FLOOR; i++) lua.lua_pushnil(L);
    lua.lua_checkstack(L, lua.LUA_MINSTACK); // the room above them a fresh state has
    // and the stack array starts over in fast elements (the setup may have turned it already)
    const state = L as { stack: unknown[]; top: number };
    const fast = new Array<unknown>(state.stack.length);
    for (let i = 0; i < state.top; i++) fast[i] = state.stack[i];
    state.stack = fast;
  }

  /** compile (once per body); an error reply when it does not compile */
  compile(body: string): number | Reply {
    const known = this.compiled.get(body);
    if (known !== undefined) return known;
    const L = this.L;
    if (lauxlib.luaL_loadbuffer(L, luaBytes(body), null, to_luastring('@user_script')) !== L_OK) {
      const msg = toJsString(L, -1);
      lua.lua_pop(L, 1);
      return error(`ERR Error compiling script (new function): ${msg}`);
    }
    learnConstants((L as { stack: { value: { p: Parameters<typeof learnConstants>[0] } }[]; top: number }).stack[(L as { top: number }).top - 1]!.value.p);
    lua.lua_rawgeti(L, REGISTRY, this.envRef);
    lua.lua_setupvalue(L, -2, 1); // the chunk's _ENV: the read-only globals
    const ref: number = lauxlib.luaL_ref(L, REGISTRY);
    this.compiled.set(body, ref);
    return ref;
  }

  run(body: string, sha: string, keys: string[], args: string[], host: ScriptHost): Reply {
    const fn = this.compile(body);
    if (typeof fn !== 'number') return fn;
    const L = this.L;
    const base: number = lua.lua_gettop(L);
    // KEYS and ARGV go around the read-only guard
    lua.lua_rawgeti(L, REGISTRY, this.envRef);
    lobject.pushsvalue2s(L, KEYS_NAME);
    this.pushStrings(keys);
    lua.lua_rawset(L, -3);
    lobject.pushsvalue2s(L, ARGV_NAME);
    this.pushStrings(args);
    lua.lua_rawset(L, -3);
    lua.lua_pop(L, 1);
    lua.lua_rawgeti(L, REGISTRY, this.handlerRef);
    lua.lua_rawgeti(L, REGISTRY, fn);
    this.rand48 = (0n << 16n) | 0x330en; // Redis reseeds its PRNG with 0 for every script
    const outer = this.host;
    this.host = host;
    let reply: Reply;
    try {
      const status: number = lua.lua_pcall(L, 0, 1, base + 1);
      reply = status === L_OK ? this.toReply(-1) : this.scriptError(sha);
    } finally {
      this.host = outer;
      lua.lua_settop(L, base);
      // (a script's redis.call runs no script: nothing pushed now belongs to an outer one)
      pushedBytes.length = 0;
      pushedText.length = 0;
    }
    return reply;
  }

  private scriptError(sha: string): Reply {
    const L = this.L;
    if (lua.lua_type(L, -1) !== T_TABLE) return error(`ERR Error running script (call to f_${sha}): @user_script: ${this.str(-1) ?? 'Unknown error'}`);
    const msg = this.field(-1, 'err');
    const source = this.field(-1, 'source');
    const line = this.field(-1, 'line');
    if (msg === undefined) return error(`ERR Error running script (call to f_${sha}): @user_script: Unknown error`);
    // (read as a C string, as Redis reads the err field: up to a NUL byte)
    const text = cString(msg).replace(/[\r\n]/g, ' ');
    return error(source !== undefined && line !== undefined ? `${text} script: ${sha}, on ${source}:${line}.` : text);
  }

  /** a string or number field of the table at idx, as text */
  private field(idx: number, name: string): string | undefined {
    const L = this.L;
    lua.lua_getfield(L, idx, to_luastring(name));
    const t = lua.lua_type(L, -1);
    const v = t === T_STRING ? toJsString(L, -1)! : t === T_NUMBER ? String(lua.lua_tonumber(L, -1)) : undefined;
    lua.lua_pop(L, 1);
    return v;
  }

  private str(idx: number): string | undefined {
    const t = lua.lua_type(this.L, idx);
    return t === T_STRING || t === T_NUMBER ? toJsString(this.L, idx)! : undefined;
  }

  private pushStrings(items: string[]): void {
    const L = this.L;
    lua.lua_createtable(L, items.length, 0);
    for (let i = 0; i < items.length; i++) {
      pushString(L, items[i]!);
      lua.lua_rawseti(L, -2, i + 1);
    }
  }

  /** Lua value → Redis reply (luaReplyToRedisReply, RESP2) */
  private toReply(idx: number): Reply {
    const L = this.L;
    switch (lua.lua_type(L, idx)) {
      case T_STRING:
        return bulk(toJsString(L, idx));
      case T_BOOLEAN:
        return lua.lua_toboolean(L, idx) ? int(1) : NIL;
      case T_NUMBER: {
        const n: number = lua.lua_tonumber(L, idx);
        return int(Number.isFinite(n) ? Math.trunc(n) : 0);
      }
      case T_TABLE: {
        const abs: number = lua.lua_absindex(L, idx);
        lua.lua_getfield(L, abs, ERR_FIELD);
        if (lua.lua_type(L, -1) === T_STRING) {
          const e = toJsString(L, -1)!;
          lua.lua_pop(L, 1);
          // (Redis reads the err and ok fields as C strings: up to a NUL byte)
          return error(cString(e).replace(/[\r\n]/g, ' '));
        }
        lua.lua_pop(L, 1);
        lua.lua_getfield(L, abs, OK_FIELD);
        if (lua.lua_type(L, -1) === T_STRING) {
          const s = toJsString(L, -1)!;
          lua.lua_pop(L, 1);
          return { t: 'status', v: cString(s).replace(/[\r\n]/g, ' ') };
        }
        lua.lua_pop(L, 1);
        const items: Reply[] = [];
        for (let j = 1; ; j++) {
          lua.lua_rawgeti(L, abs, j);
          if (lua.lua_type(L, -1) === T_NIL) {
            lua.lua_pop(L, 1);
            break;
          }
          items.push(this.toReply(-1));
          lua.lua_pop(L, 1);
        }
        return array(items);
      }
      default:
        return NIL;
    }
  }

  /** Redis reply → Lua value (redisProtocolToLuaType, RESP2) */
  private pushReply(r: Reply): void {
    const L = this.L;
    switch (r.t) {
      case 'int':
        lua.lua_pushnumber(L, r.v);
        return;
      case 'bulk':
        if (r.v === null) lua.lua_pushboolean(L, false);
        else pushString(L, r.v);
        return;
      case 'status':
        lua.lua_createtable(L, 0, 1);
        pushString(L, r.v);
        lua.lua_setfield(L, -2, OK_FIELD);
        return;
      case 'error':
        this.pushError(r.v);
        return;
      case 'array':
        if (r.v === null) {
          lua.lua_pushboolean(L, false);
          return;
        }
        lua.lua_createtable(L, r.v.length, 0);
        for (let i = 0; i < r.v.length; i++) {
          this.pushReply(r.v[i]);
          lua.lua_rawseti(L, -2, i + 1);
        }
    }
  }

  private pushError(text: string): void {
    const L = this.L;
    lua.lua_createtable(L, 0, 1);
    pushString(L, text);
    lua.lua_setfield(L, -2, ERR_FIELD);
  }

  /** a redis.call that went wrong before it reached Redis: raised, or (pcall) returned as an error table */
  private fail(L: unknown, raise: boolean, msg: string): number {
    this.pushError(errorText(msg));
    return raise ? lua.lua_error(L) : 1;
  }

  /** redis.call / redis.pcall */
  private redisCall(L: unknown, raise: boolean): number {
    const argc: number = lua.lua_gettop(L);
    if (argc === 0) return this.fail(L, raise, 'Please specify at least one argument for this redis lib call');
    const argv: string[] = new Array(argc);
    for (let i = 1; i <= argc; i++) {
      const t = lua.lua_type(L, i);
      if (t === T_STRING) argv[i - 1] = toJsString(L, i)!;
      else if (t === T_NUMBER) {
        const n: number = lua.lua_tonumber(L, i);
        // (an integral double below 2^53 prints as "%.17g" does, except -0)
        argv[i - 1] = Number.isInteger(n) && n < 9007199254740992 && n > -9007199254740992 && !Object.is(n, -0) ? String(n) : formatG17(n);
      }
      else return this.fail(L, raise, 'Lua redis lib command arguments must be strings or integers');
    }
    if (!this.host) return this.fail(L, raise, 'redis.call used outside a script');
    const reply = this.host.call(argv);
    if (reply.t === 'error') {
      this.pushError(reply.v);
      return raise ? lua.lua_error(L) : 1;
    }
    this.pushReply(reply);
    return 1;
  }

  private installRedisTable(): void {
    const L = this.L;
    const fns: Record<string, (L: unknown) => number> = {
      call: (l) => this.redisCall(l, true),
      pcall: (l) => this.redisCall(l, false),
      sha1hex: (l) => {
        // (raised as Redis raises it: an error table, no script position in the text)
        if (lua.lua_gettop(l) !== 1) return this.fail(l, true, 'wrong number of arguments');
        pushString(l, sha1hex(lua.lua_type(l, 1) === T_STRING || lua.lua_type(l, 1) === T_NUMBER ? toJsString(l, 1)! : ''));
        return 1;
      },
      error_reply: (l) => {
        if (lua.lua_gettop(l) !== 1 || lua.lua_type(l, -1) !== T_STRING) {
          this.pushError('ERR wrong number or type of arguments');
          return 1;
        }
        const e = toJsString(l, -1)!;
        this.pushError(errorText(e.startsWith('-') ? e : `-${e}`));
        return 1;
      },
      status_reply: (l) => {
        if (lua.lua_gettop(l) !== 1 || lua.lua_type(l, -1) !== T_STRING) {
          this.pushError('ERR wrong number or type of arguments');
          return 1;
        }
        const s = toJsString(l, -1)!;
        lua.lua_createtable(l, 0, 1);
        pushString(l, s);
        lua.lua_setfield(l, -2, OK_FIELD);
        return 1;
      },
      log: () => 0,
      // (no debugger session: redis.breakpoint answers false, redis.debug does nothing)
      breakpoint: (l) => {
        lua.lua_pushboolean(l, false);
        return 1;
      },
      debug: () => 0,
      setresp: () => 0,
      set_repl: () => 0,
      replicate_commands: (l) => {
        lua.lua_pushboolean(l, true);
        return 1;
      },
    };
    lua.lua_createtable(L, 0, 16);
    for (const [name, fn] of Object.entries(fns)) {
      lua.lua_pushjsfunction(L, fn);
      lua.lua_setfield(L, -2, to_luastring(name));
    }
    const consts: Record<string, number> = { LOG_DEBUG: 0, LOG_VERBOSE: 1, LOG_NOTICE: 2, LOG_WARNING: 3, REPL_NONE: 0, REPL_AOF: 1, REPL_SLAVE: 2, REPL_REPLICA: 2, REPL_ALL: 3, REDIS_VERSION_NUM: 0x07000f };
    for (const [name, v] of Object.entries(consts)) {
      lua.lua_pushinteger(L, v);
      lua.lua_setfield(L, -2, to_luastring(name));
    }
    lua.lua_pushstring(L, to_luastring('7.0.15'));
    lua.lua_setfield(L, -2, to_luastring('REDIS_VERSION'));
    lua.lua_setglobal(L, to_luastring('redis'));

    // math.random / math.randomseed as Redis has them: its own rand48, reseeded per script
    lua.lua_getglobal(L, to_luastring('math'));
    lua.lua_pushjsfunction(L, (l: unknown) => this.luaRandom(l));
    lua.lua_setfield(L, -2, to_luastring('random'));
    lua.lua_pushjsfunction(L, (l: unknown) => {
      const seed = BigInt(Math.trunc(lauxlib.luaL_checknumber(l, 1))) & 0xffffffffn;
      this.rand48 = (seed << 16n) | 0x330en;
      return 0;
    });
    lua.lua_setfield(L, -2, to_luastring('randomseed'));
    lua.lua_pop(L, 1);
  }

  private luaRandom(L: unknown): number {
    this.rand48 = (this.rand48 * 0x5deece66dn + 0xbn) & 0xffffffffffffn;
    const r = Number(this.rand48 >> 17n) / 2147483648;
    switch (lua.lua_gettop(L)) {
      case 0:
        lua.lua_pushnumber(L, r);
        return 1;
      case 1: {
        const u = lauxlib.luaL_checknumber(L, 1);
        if (u < 1) return lauxlib.luaL_argerror(L, 1, to_luastring('interval is empty'));
        lua.lua_pushnumber(L, Math.floor(r * u) + 1);
        return 1;
      }
      case 2: {
        const lo = lauxlib.luaL_checknumber(L, 1);
        const up = lauxlib.luaL_checknumber(L, 2);
        if (lo > up) return lauxlib.luaL_argerror(L, 2, to_luastring('interval is empty'));
        lua.lua_pushnumber(L, Math.floor(r * (up - lo + 1)) + lo);
        return 1;
      }
      default:
        return lauxlib.luaL_error(L, to_luastring('wrong number of arguments'));
    }
  }
}

let shared: LuaRuntime | undefined;
/** the process's Lua runtime, created on first use */
export function luaRuntime(): LuaRuntime {
  shared ??= new LuaRuntime();
  return shared;
}

/** one server's script cache: the sha1s it knows (emptied by SCRIPT FLUSH and by a restart) */
export class ScriptCache {
  private readonly bodies = new Map<string, string>();

  load(body: string): Reply {
    const compiled = luaRuntime().compile(body);
    if (typeof compiled !== 'number') return compiled;
    const sha = sha1hex(body);
    this.bodies.set(sha, body);
    return bulk(sha);
  }

  exists(shas: string[]): Reply {
    return array(shas.map((s) => int(this.bodies.has(s.toLowerCase()) ? 1 : 0)));
  }

  flush(): void {
    this.bodies.clear();
  }

  eval(body: string, keys: string[], args: string[], host: ScriptHost): Reply {
    const sha = sha1hex(body);
    const compiled = luaRuntime().compile(body);
    if (typeof compiled !== 'number') return compiled;
    this.bodies.set(sha, body);
    return luaRuntime().run(body, sha, keys, args, host);
  }

  evalSha(sha: string, keys: string[], args: string[], host: ScriptHost): Reply {
    const body = this.bodies.get(sha);
    if (body === undefined) return error('NOSCRIPT No matching script. Please use EVAL.');
    return luaRuntime().run(body, sha, keys, args, host);
  }
}
