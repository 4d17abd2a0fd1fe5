// cmsgpack.pack as redis-server 7.0 has it (lua-cmsgpack 0.4.0, built for Lua 5.1 on x86-64),
// added to the cmsgpack table lua-libs.ts makes:
//
// - every argument is encoded and the encodings are concatenated; no argument is an error
//   ("bad argument #0 to 'pack' (MessagePack pack needs input.)");
// - a number whose value an int64 holds exactly (a double with an integral value in
//   [-2^63, 2^63), -0 included) is an integer in the smallest format: positive fixint, uint
//   8/16/32/64 for n ≥ 0, negative fixint, int 8/16/32/64 below; any other number (fractions,
//   ±inf, nan, ≥ 2^63, < -2^63) is a float 32 (0xca) when converting it to a C float and back
//   gives the same double (±inf, 0.5, 2^63...), else a float 64 (0xcb; nan always);
// - a string is a fixstr below 32 bytes, else str 8 (0xd9) to 255, str 16, str 32: its bytes as
//   they are (binary strings too: no bin formats);
// - a table is an array when its keys are exactly the numbers 1..n (integral values within a C
//   int, n counted; the empty table too: 0x90), read with the length and t[i]; any other table
//   is a map, in the order Lua 5.1's next() yields its keys (see order51 in lua-libs.ts: exact
//   for tables filled key by key, from empty or from what a constructor made);
// - true / false; nil and every other type (functions, cjson.null, ...) are nil (0xc0);
// - tables nested 16 deep (the outermost at level 0) are encoded as nil, which is how cyclic
//   tables come out too.

/* eslint-disable @typescript-eslint/no-explicit-any */

import { order51, type FengariParts, type Key51 } from './lua-libs.ts';
import { tableShape } from './lua-table-keys.ts';

const MAX_NESTING = 16;
const MAXCSTACK = 8000;

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** the bytes of a value's msgpack encoding as lua-cmsgpack 0.4.0 writes them */
class Buf {
  bytes: number[] = [];
  push(...b: number[]): void {
    for (const x of b) this.bytes.push(x);
  }
  /** n's low `count` bytes, big-endian */
  be(n: bigint, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.bytes.push(Number((n >> BigInt(8 * i)) & 0xffn));
  }
}

function encodeInt(out: Buf, n: bigint): void {
  if (n >= 0n) {
    if (n <= 127n) out.push(Number(n));
    else if (n <= 0xffn) out.push(0xcc, Number(n));
    else if (n <= 0xffffn) {
      out.push(0xcd);
      out.be(n, 2);
    } else if (n <= 0xffffffffn) {
      out.push(0xce);
      out.be(n, 4);
    } else {
      out.push(0xcf);
      out.be(n, 8);
    }
  } else if (n >= -32n) out.push(Number(n) & 0xff);
  else if (n >= -128n) out.push(0xd0, Number(n) & 0xff);
  else if (n >= -32768n) {
    out.push(0xd1);
    out.be(BigInt.asUintN(16, n), 2);
  } else if (n >= -2147483648n) {
    out.push(0xd2);
    out.be(BigInt.asUintN(32, n), 4);
  } else {
    out.push(0xd3);
    out.be(BigInt.asUintN(64, n), 8);
  }
}

function encodeDouble(out: Buf, d: number): void {
  const f = Math.fround(d);
  if (d === f) {
    f32[0] = f;
    out.push(0xca);
    for (let i = 0; i < 4; i++) out.push(f32Bytes[LITTLE ? 3 - i : i]!);
  } else {
    f64[0] = d;
    out.push(0xcb);
    for (let i = 0; i < 8; i++) out.push(f64Bytes[LITTLE ? 7 - i : i]!);
  }
}

function encodeNumber(out: Buf, n: number): void {
  // IS_INT64_EQUIVALENT: not inf and (int64_t)n == n, x86's cast giving INT64_MIN out of range
  if (Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 63) encodeInt(out, BigInt(n));
  else encodeDouble(out, n);
}

function encodeBytes(out: Buf, s: Uint8Array): void {
  const len = s.length;
  if (len < 32) out.push(0xa0 | len);
  else if (len <= 0xff) out.push(0xd9, len);
  else if (len <= 0xffff) {
    out.push(0xda);
    out.be(BigInt(len), 2);
  } else {
    out.push(0xdb);
    out.be(BigInt(len), 4);
  }
  for (let i = 0; i < len; i++) out.bytes.push(s[i]!);
}

/** the header of an array (base 0x90, 0xdc, 0xdd) or a map (0x80, 0xde, 0xdf) of n items */
function encodeHeader(out: Buf, n: number, fix: number, b16: number, b32: number): void {
  if (n <= 15) out.push(fix | n);
  else if (n <= 65535) {
    out.push(b16);
    out.be(BigInt(n), 2);
  } else {
    out.push(b32);
    out.be(BigInt(n), 4);
  }
}

/** adds cmsgpack.pack to the global cmsgpack table (installLuaLibraries calls it, once, at setup) */
export function installMsgpackPack(f: FengariParts, L: unknown): void {
  const { lua, lauxlib, to_luastring } = f;
  const T_BOOLEAN: number = lua.LUA_TBOOLEAN;
  const T_NUMBER: number = lua.LUA_TNUMBER;
  const T_STRING: number = lua.LUA_TSTRING;
  const T_TABLE: number = lua.LUA_TTABLE;
  const T_NIL: number = lua.LUA_TNIL;

  /** table_is_an_array: every key a number with an integral value in 1..INT_MAX, and as many keys as the largest */
  const isArray = (l: unknown): boolean => {
    let count = 0;
    let max = 0;
    const top: number = lua.lua_gettop(l);
    lauxlib.luaL_checkstack(l, 2, to_luastring('in function table_is_an_array'));
    lua.lua_pushnil(l);
    while (lua.lua_next(l, -2) !== 0) {
      lua.lua_pop(l, 1);
      const n: number = lua.lua_type(l, -1) === T_NUMBER ? lua.lua_tonumber(l, -1) : NaN;
      if (!(n > 0) || !Number.isInteger(n) || n > 2147483647) {
        lua.lua_settop(l, top);
        return false;
      }
      if (n > max) max = n;
      count++;
    }
    lua.lua_settop(l, top);
    return max === count;
  };

  const encode = (l: unknown, out: Buf, level: number): void => {
    let t: number = lua.lua_type(l, -1);
    if (t === T_TABLE && level === MAX_NESTING) t = T_NIL;
    switch (t) {
      case T_STRING:
        encodeBytes(out, lua.lua_tolstring(l, -1));
        break;
      case T_BOOLEAN:
        out.push(lua.lua_toboolean(l, -1) ? 0xc3 : 0xc2);
        break;
      case T_NUMBER:
        encodeNumber(out, lua.lua_tonumber(l, -1));
        break;
      case T_TABLE:
        if (isArray(l)) {
          const len = Number(lua.lua_rawlen(l, -1));
          encodeHeader(out, len, 0x90, 0xdc, 0xdd);
          lauxlib.luaL_checkstack(l, 1, to_luastring('in function mp_encode_lua_table_as_array'));
          for (let j = 1; j <= len; j++) {
            lua.lua_pushnumber(l, j);
            lua.lua_gettable(l, -2);
            encode(l, out, level + 1);
          }
        } else encodeMap(l, out, level);
        break;
      default:
        out.push(0xc0);
    }
    lua.lua_pop(l, 1);
  };

  const encodeMap = (l: unknown, out: Buf, level: number): void => {
    lauxlib.luaL_checkstack(l, 3, to_luastring('in function mp_encode_lua_table_as_map'));
    const keys: Key51[] = [];
    let odd = false;
    lua.lua_pushnil(l);
    while (lua.lua_next(l, -2) !== 0) {
      lua.lua_pop(l, 1);
      const kt = lua.lua_type(l, -1);
      if (kt === T_NUMBER) keys.push({ kind: 'number', n: lua.lua_tonumber(l, -1) });
      else if (kt === T_STRING) keys.push({ kind: 'string', bytes: lua.lua_tolstring(l, -1) });
      else if (kt === T_BOOLEAN) keys.push({ kind: 'boolean', b: lua.lua_toboolean(l, -1) });
      else odd = true;
    }
    if (odd) {
      // (a key of another type, a table as a key: fengari's order)
      let len = 0;
      lua.lua_pushnil(l);
      while (lua.lua_next(l, -2) !== 0) {
        lua.lua_pop(l, 1);
        len++;
      }
      encodeHeader(out, len, 0x80, 0xde, 0xdf);
      lua.lua_pushnil(l);
      while (lua.lua_next(l, -2) !== 0) {
        lua.lua_pushvalue(l, -2);
        encode(l, out, level + 1);
        encode(l, out, level + 1);
      }
      return;
    }
    encodeHeader(out, keys.length, 0x80, 0xde, 0xdf);
    for (const i of order51(keys, tableShape(lua.lua_topointer(l, -1)))) {
      const k = keys[i]!;
      if (k.kind === 'number') lua.lua_pushnumber(l, k.n);
      else if (k.kind === 'string') lua.lua_pushstring(l, k.bytes);
      else lua.lua_pushboolean(l, k.b);
      lua.lua_pushvalue(l, -1);
      lua.lua_rawget(l, -3); // ... key value (as lua_next gives them)
      lua.lua_pushvalue(l, -2);
      encode(l, out, level + 1); // the key
      encode(l, out, level + 1); // the value
      lua.lua_pop(l, 1);
    }
  };

  const pack = (l: unknown): number => {
    const nargs: number = lua.lua_gettop(l);
    if (nargs === 0) return lauxlib.luaL_argerror(l, 0, to_luastring('MessagePack pack needs input.'));
    // (Lua 5.1's lua_checkstack: a C function's slots stop at LUAI_MAXCSTACK, 8000)
    if (nargs + nargs > MAXCSTACK || !lua.lua_checkstack(l, nargs)) return lauxlib.luaL_argerror(l, 0, to_luastring('Too many arguments for MessagePack pack.'));
    const out = new Buf();
    for (let i = 1; i <= nargs; i++) {
      lauxlib.luaL_checkstack(l, 1, to_luastring('in function mp_check'));
      lua.lua_pushvalue(l, i);
      encode(l, out, 0);
    }
    lua.lua_pushstring(l, Uint8Array.from(out.bytes));
    return 1;
  };

  lua.lua_getglobal(L, to_luastring('cmsgpack'));
  lua.lua_pushjsfunction(L, pack);
  lua.lua_setfield(L, -2, to_luastring('pack'));
  lua.lua_pop(L, 1);
}
