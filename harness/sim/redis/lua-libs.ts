// The Lua libraries redis-server 7.0 loads for scripts besides its own redis table, as the
// job-queue libraries' scripts use them. Written against the behaviour of Redis's bundled C
// modules on its Lua 5.1 (x86-64), where every number is a double: every number these push is a
// float in fengari too. Provided:
//
//   cjson     encode, decode, null (here)
//   cmsgpack  unpack, unpack_one, unpack_limit (here); pack (lua-msgpack-pack.ts): lua-cmsgpack
//             0.4.0, with _NAME, _VERSION, _COPYRIGHT, _DESCRIPTION
//   bit       LuaBitOp: tobit, bnot, band, bor, bxor, lshift, rshift, arshift, rol, ror, bswap,
//             tohex (here)
//   struct    pack, unpack, size (lua-struct.ts): lua_struct.c's formats > < ! x b B h H l L T
//             i[n] I[n] c[n] s f d and ' '
//
// and, for the base library, Lua 5.1's string.format integer conversions, unpack and tonumber
// (installLua51Format, installLua51Base). Not provided, though redis-server has them: cjson's
// configuration functions (new, encode_keep_buffer, encode_max_depth, decode_max_depth,
// encode_number_precision, encode_sparse_array, encode/decode_invalid_numbers).
// installLuaLibraries also keys fengari's strings by their bytes in padded hex
// (lua-string-hash.ts), without which distinct binary strings could be one, and has next()
// give number keys as floats (lua-table-keys.ts), without which arithmetic on them wraps at 32 bits.
//
// cjson.encode (an object's keys) and cmsgpack.pack (a map's) write keys in the order Lua 5.1's
// next() would yield them: fengari's tables keep the order keys were added in, so that order is
// replayed into a model of 5.1's table layout (Table51). Exact for tables filled key by key from
// empty (cjson.decode, cmsgpack.unpack, t.k = v), as the libraries build what they encode, and
// for tables a constructor made ({a = 1, b = 2, 3}, {x = 1, f()}: the sizes 5.1 gives them and
// the resize of their array are kept by lua-table-keys.ts), then filled key by key; a table that
// had keys removed, or one that had nil assigned to a key it did not have (5.1 adds the key,
// which may resize the table), may come out in another order than redis-server's.

/* eslint-disable @typescript-eslint/no-explicit-any */

import { installMsgpackPack } from './lua-msgpack-pack.ts';
import { padStringHashes } from './lua-string-hash.ts';
import { floatTableKeys, tableShape, type TableShape } from './lua-table-keys.ts';
import { installStruct } from './lua-struct.ts';

/** the parts of fengari the Lua libraries are written against (lua, lauxlib, to_luastring) */
export interface FengariParts {
  lua: Record<string, any>;
  lauxlib: Record<string, any>;
  to_luastring(s: string): Uint8Array;
}

/** cjson.null: a light userdata (Redis's is a NULL pointer) */
const JSON_NULL = { cjsonNull: true };

// ---- number formatting -------------------------------------------------------------------

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE ? 0 : 1;
const HI = LITTLE ? 1 : 0;

/** the exact decimal digits of a finite, non-zero |x|: |x| = digits × 10^scale */
function exactDecimal(x: number): { digits: string; scale: number } {
  f64[0] = Math.abs(x);
  const hi = u32[HI]!;
  const lo = u32[LO]!;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (biased === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = biased - 1075;
  }
  if (e2 >= 0) return { digits: (mant << BigInt(e2)).toString(), scale: 0 };
  const digits = (mant * 5n ** BigInt(-e2)).toString().replace(/^0+/, '');
  return { digits, scale: e2 };
}

/** C's printf("%.<precision>g", x) (glibc: exact value, ties to even) */
export function formatG(x: number, precision: number): string {
  if (Number.isNaN(x)) return f64Sign(x) ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const P = precision === 0 ? 1 : precision;
  if (Number.isInteger(x) && Math.abs(x) < 10 ** Math.min(P, 15)) return String(x);
  const sign = x < 0 ? '-' : '';
  const exact = exactDecimal(x);
  let digits = exact.digits.replace(/0+$/, '');
  let X = exact.digits.length - 1 + exact.scale; // decimal exponent of the first digit
  if (digits.length > P) {
    const rest = digits.slice(P);
    let head = digits.slice(0, P);
    const up = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || Number(head[P - 1]) % 2 === 1));
    if (up) {
      const bumped = (BigInt(head) + 1n).toString();
      if (bumped.length > P) {
        X += 1;
        head = bumped.slice(0, P);
      } else head = bumped;
    }
    digits = head.replace(/0+$/, '');
  }
  if (digits === '') digits = '0';
  if (X < -4 || X >= P) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ax = Math.abs(X);
    return `${sign}${mant}e${X < 0 ? '-' : '+'}${ax < 10 ? '0' : ''}${ax}`;
  }
  if (X >= 0) {
    const int = digits.length > X + 1 ? digits.slice(0, X + 1) : digits.padEnd(X + 1, '0');
    const frac = digits.slice(X + 1);
    return `${sign}${int}${frac ? `.${frac}` : ''}`;
  }
  return `${sign}0.${'0'.repeat(-X - 1)}${digits}`;
}

function f64Sign(x: number): boolean {
  f64[0] = x;
  return (u32[HI]! & 0x80000000) !== 0;
}

// ---- strtod --------------------------------------------------------------------------------

/** C's strtod on bytes from `start`: the value and the index after what it read (start if nothing) */
function strtod(b: Uint8Array, start: number): { value: number; end: number } {
  const at = (i: number) => (i < b.length ? b[i]! : 0);
  const lower = (i: number) => at(i) | 0x20;
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const isHex = (c: number) => isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
  let i = start;
  let neg = false;
  if (at(i) === 0x2b || at(i) === 0x2d) {
    neg = at(i) === 0x2d;
    i++;
  }
  const word = (w: string, from: number) => {
    for (let k = 0; k < w.length; k++) if (lower(from + k) !== w.charCodeAt(k)) return false;
    return true;
  };
  if (word('inf', i)) {
    const end = word('inity', i + 3) ? i + 8 : i + 3;
    return { value: neg ? -Infinity : Infinity, end };
  }
  if (word('nan', i)) {
    let end = i + 3;
    if (at(end) === 0x28) {
      let k = end + 1;
      while (isDigit(at(k)) || (lower(k) >= 0x61 && lower(k) <= 0x7a) || at(k) === 0x5f) k++;
      if (at(k) === 0x29) end = k + 1;
    }
    return { value: neg ? -NaN : NaN, end };
  }
  if (at(i) === 0x30 && lower(i + 1) === 0x78 && (isHex(at(i + 2)) || (at(i + 2) === 0x2e && isHex(at(i + 3))))) {
    let k = i + 2;
    let mant = 0;
    let exp = 0;
    while (isHex(at(k))) mant = mant * 16 + parseInt(String.fromCharCode(at(k++)), 16);
    if (at(k) === 0x2e) {
      k++;
      while (isHex(at(k))) {
        mant = mant * 16 + parseInt(String.fromCharCode(at(k++)), 16);
        exp -= 4;
      }
    }
    if (lower(k) === 0x70) {
      let j = k + 1;
      let eneg = false;
      if (at(j) === 0x2b || at(j) === 0x2d) eneg = at(j++) === 0x2d;
      if (isDigit(at(j))) {
        let e = 0;
        while (isDigit(at(j))) e = Math.min(e * 10 + (at(j++) - 0x30), 100000);
        exp += eneg ? -e : e;
        k = j;
      }
    }
    const v = mant * 2 ** exp;
    return { value: neg ? -v : v, end: k };
  }
  let k = i;
  let sawDigit = false;
  while (isDigit(at(k))) {
    k++;
    sawDigit = true;
  }
  if (at(k) === 0x2e) {
    k++;
    while (isDigit(at(k))) {
      k++;
      sawDigit = true;
    }
  }
  if (!sawDigit) return { value: 0, end: start };
  if (lower(k) === 0x65) {
    let j = k + 1;
    if (at(j) === 0x2b || at(j) === 0x2d) j++;
    if (isDigit(at(j))) {
      while (isDigit(at(j))) j++;
      k = j;
    }
  }
  let text = '';
  for (let j = start; j < k; j++) text += String.fromCharCode(b[j]!);
  if (text.endsWith('.')) text = text.slice(0, -1);
  text = text.replace(/^([+-]?)\./, '$10.').replace(/\.([eE])/, '$1');
  return { value: Number(text), end: k };
}

/**
 * Lua 5.1's luaO_str2d on glibc: the whole string (spaces around it allowed) read by strtod
 * (decimal, hexadecimal, inf, nan). The value and the index after the string plus one, as
 * fengari's str2num counts; null when it is not a number. 5.1 reads the string as a C string:
 * up to its first NUL byte ("5\0abc" is 5).
 */
export function str2number(s: Uint8Array): { value: number; size: number } | null {
  // what scripts convert nearly always: a decimal integer, an optional sign and up to 15 digits
  // (exact as a double), nothing around it; strtod reads it as this sum
  const len = s.length;
  if (len > 0 && len <= 15) {
    const c0 = s[0]!;
    let i = c0 === 0x2d || c0 === 0x2b ? 1 : 0;
    if (i < len) {
      let v = 0;
      for (; i < len; i++) {
        const c = s[i]!;
        if (c < 0x30 || c > 0x39) break;
        v = v * 10 + (c - 0x30);
      }
      if (i === len) return { value: c0 === 0x2d ? -v : v, size: len + 1 };
    }
  }
  // (the lexer's buffer ends with a NUL: it only asks whether the size is 0)
  const nul = s.indexOf(0);
  if (nul >= 0) {
    const r = str2number(s.subarray(0, nul));
    return r === null ? null : { value: r.value, size: s.length + 1 };
  }
  const n = s.length;
  const space = (c: number | undefined) => c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
  let i = 0;
  while (i < n && space(s[i])) i++;
  const r = strtod(s, i);
  if (r.end === i) return null;
  let j = r.end;
  while (j < n && space(s[j])) j++;
  if (j !== n) return null;
  return { value: r.value, size: j + 1 };
}

// ---- Lua 5.1's table layout, for the order of an object's keys -----------------------------

/** a table key as Lua 5.1 hashes it */
export type Key51 = { kind: 'number'; n: number } | { kind: 'string'; bytes: Uint8Array } | { kind: 'boolean'; b: boolean };

/** Lua 5.1's string hash as Redis builds it (every byte hashed, seeded with the length) */
function hash51(b: Uint8Array): number {
  let h = b.length >>> 0;
  for (let i = b.length; i >= 1; i--) h = (h ^ (((h << 5) + (h >>> 2) + b[i - 1]!) >>> 0)) >>> 0;
  return h;
}

const ceillog2 = (x: number): number => (x <= 1 ? 0 : 32 - Math.clz32(x - 1));
/** the array index a key stands for (a number with an integral value), else 0 */
function arrayIndex(k: Key51): number {
  if (k.kind !== 'number') return 0;
  const n = k.n;
  return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}
const MAXASIZE = 2 ** 26;

interface Node51 {
  key: Key51 | null;
  hash: number;
  used: boolean;
  next: number;
}

/**
 * Lua 5.1's ltable.c, keys only: the array part, the node vector with its collision chains and
 * its free pointer, and the rehash that sizes both. Inserting a table's keys in the order they
 * were added gives the order Lua 5.1's next() yields them in.
 */
class Table51 {
  private array: boolean[] = [];
  private nodes: Node51[] = [{ key: null, hash: 0, used: false, next: -1 }];
  private dummy = true;
  private lastfree = 0;

  private mainPosition(k: Key51, hash: number): number {
    const size = this.nodes.length;
    switch (k.kind) {
      case 'string':
        return hash & (size - 1);
      case 'boolean':
        return (k.b ? 1 : 0) & (size - 1);
      case 'number': {
        if (k.n === 0) return 0;
        f64[0] = k.n;
        const a = (u32[0]! + u32[1]!) >>> 0;
        return a % ((size - 1) | 1);
      }
    }
  }

  insert(k: Key51): void {
    const i = arrayIndex(k);
    if (i >= 1 && i <= this.array.length) {
      this.array[i - 1] = true;
      return;
    }
    this.newKey(k, k.kind === 'string' ? hash51(k.bytes) : 0);
  }

  private newKey(k: Key51, hash: number): void {
    let mp = this.mainPosition(k, hash);
    const nodes = this.nodes;
    if (nodes[mp]!.used || this.dummy) {
      const n = this.freePosition();
      if (n < 0) {
        this.rehash(k);
        this.insert(k);
        return;
      }
      const m = nodes[mp]!;
      let other = this.mainPosition(m.key!, m.hash);
      if (other !== mp) {
        while (nodes[other]!.next !== mp) other = nodes[other]!.next;
        nodes[other]!.next = n;
        nodes[n] = { ...m };
        m.next = -1;
        m.used = false;
      } else {
        nodes[n]!.next = m.next;
        m.next = n;
        mp = n;
      }
    }
    const node = nodes[mp]!;
    node.key = k;
    node.hash = hash;
    node.used = true;
  }

  private freePosition(): number {
    while (this.lastfree > 0) {
      this.lastfree--;
      if (this.nodes[this.lastfree]!.key === null) return this.lastfree;
    }
    return -1;
  }

  /** the sizes a constructor gives a new table (Lua 5.1's luaH_new(L, narray, nhash)) */
  presize(narray: number, nhash: number): void {
    this.resize(narray, nhash);
  }

  /** luaH_resizearray, as OP_SETLIST calls it when the items outnumber the array */
  resizeArray(narray: number): void {
    if (narray > this.array.length) this.resize(narray, this.dummy ? 0 : this.nodes.length);
  }

  private rehash(extra: Key51): void {
    const nums = new Array<number>(27).fill(0);
    const count = (k: Key51): number => {
      const i = arrayIndex(k);
      if (i > 0 && i <= MAXASIZE) {
        nums[ceillog2(i)]!++;
        return 1;
      }
      return 0;
    };
    let nasize = 0;
    for (let i = 1; i <= this.array.length; i++) {
      if (this.array[i - 1]) {
        nums[ceillog2(i)]!++;
        nasize++;
      }
    }
    let total = nasize;
    for (const n of this.nodes) {
      if (n.used) {
        nasize += count(n.key!);
        total++;
      }
    }
    nasize += count(extra);
    total++;
    // computesizes
    let a = 0;
    let na = 0;
    let size = 0;
    for (let i = 0, twotoi = 1; twotoi / 2 < nasize; i++, twotoi *= 2) {
      if (nums[i]! > 0) {
        a += nums[i]!;
        if (a > twotoi / 2) {
          size = twotoi;
          na = a;
        }
      }
      if (a === nasize) break;
    }
    this.resize(size, total - na);
  }

  private resize(nasize: number, nhsize: number): void {
    const oldArray = this.array;
    const oldNodes = this.nodes;
    if (nasize > oldArray.length) this.array = [...oldArray, ...new Array<boolean>(nasize - oldArray.length).fill(false)];
    if (nhsize === 0) {
      this.nodes = [{ key: null, hash: 0, used: false, next: -1 }];
      this.dummy = true;
      this.lastfree = 0;
    } else {
      const size = 2 ** ceillog2(nhsize);
      this.nodes = Array.from({ length: size }, () => ({ key: null, hash: 0, used: false, next: -1 }));
      this.dummy = false;
      this.lastfree = size;
    }
    if (nasize < oldArray.length) {
      this.array = oldArray.slice(0, nasize);
      for (let i = nasize; i < oldArray.length; i++) if (oldArray[i]) this.newKey({ kind: 'number', n: i + 1 }, 0);
    }
    for (let i = oldNodes.length - 1; i >= 0; i--) {
      const n = oldNodes[i]!;
      if (n.used) {
        const k = n.key!;
        const ai = arrayIndex(k);
        if (ai >= 1 && ai <= this.array.length) this.array[ai - 1] = true;
        else this.newKey(k, n.hash);
      }
    }
  }

  /** the keys in the order Lua 5.1's next() yields them */
  order(): Key51[] {
    const out: Key51[] = [];
    for (let i = 0; i < this.array.length; i++) if (this.array[i]) out.push({ kind: 'number', n: i + 1 });
    for (const n of this.nodes) if (n.used) out.push(n.key!);
    return out;
  }
}

/**
 * the order Lua 5.1 would iterate a table whose keys were added, in this order, to an empty table
 * (or to one a constructor made: its sizes and its array's resizes, in shape)
 */
export function order51(keys: Key51[], shape?: TableShape): number[] {
  const t = new Table51();
  if (shape) t.presize(shape.presize[0], shape.presize[1]);
  let r = 0;
  keys.forEach((k, i) => {
    for (; shape && r < shape.resizes.length && shape.resizes[r]![0] <= i; r++) t.resizeArray(shape.resizes[r]![1]);
    t.insert(k);
  });
  const index = new Map<Key51, number>(keys.map((k, i) => [k, i]));
  const out: number[] = [];
  // (order() rebuilds array-part keys as numbers: matched back by value)
  const numbers = new Map<number, number>();
  keys.forEach((k, i) => {
    if (k.kind === 'number') numbers.set(k.n, i);
  });
  for (const k of t.order()) out.push(index.get(k) ?? numbers.get((k as { n: number }).n)!);
  return out;
}

// ---- installation --------------------------------------------------------------------------

/** adds the globals cjson, cmsgpack, bit and struct to the state's globals (call once, at setup) */
export function installLuaLibraries(f: FengariParts, L: unknown): void {
  const { lua, lauxlib, to_luastring } = f;
  padStringHashes();
  floatTableKeys();
  const T_NIL: number = lua.LUA_TNIL;
  const T_BOOLEAN: number = lua.LUA_TBOOLEAN;
  const T_LIGHTUSERDATA: number = lua.LUA_TLIGHTUSERDATA;
  const T_NUMBER: number = lua.LUA_TNUMBER;
  const T_STRING: number = lua.LUA_TSTRING;
  const T_TABLE: number = lua.LUA_TTABLE;

  /** raises a Lua error with this exact text (luaL_error: no position from a JS function) */
  const raise = (l: unknown, msg: string): number => lauxlib.luaL_error(l, to_luastring('%s'), to_luastring(msg));
  const typeName = (l: unknown, idx: number): string => bytesToLatin1(lua.lua_typename(l, lua.lua_type(l, idx)));
  const pushBytes = (l: unknown, bytes: Uint8Array | number[]): void => {
    lua.lua_pushstring(l, bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
  };

  // ---- cjson ----

  const ESC: (string | null)[] = new Array(256).fill(null);
  for (let c = 0; c < 0x20; c++) ESC[c] = `\\u${c.toString(16).padStart(4, '0')}`;
  ESC[0x08] = '\\b';
  ESC[0x09] = '\\t';
  ESC[0x0a] = '\\n';
  ESC[0x0c] = '\\f';
  ESC[0x0d] = '\\r';
  ESC[0x22] = '\\"';
  ESC[0x2f] = '\\/';
  ESC[0x5c] = '\\\\';
  ESC[0x7f] = '\\u007f';
  const ESC_BYTES = ESC.map((s) => (s === null ? null : Array.from(s, (ch) => ch.charCodeAt(0))));

  class Out {
    bytes: number[] = [];
    text(s: string): void {
      for (let i = 0; i < s.length; i++) this.bytes.push(s.charCodeAt(i));
    }
    string(b: Uint8Array): void {
      const out = this.bytes;
      out.push(0x22);
      for (let i = 0; i < b.length; i++) {
        const e = ESC_BYTES[b[i]!];
        if (e) for (const c of e) out.push(c);
        else out.push(b[i]!);
      }
      out.push(0x22);
    }
  }

  const encodeFail = (l: unknown, idx: number, reason: string): never => {
    raise(l, `Cannot serialise ${typeName(l, idx)}: ${reason}`);
    throw new Error('unreachable');
  };

  const appendNumber = (l: unknown, out: Out, idx: number): void => {
    const n: number = lua.lua_tonumber(l, idx);
    if (!Number.isFinite(n)) encodeFail(l, idx, 'must not be NaN or Inf');
    out.text(formatG(n, 14));
  };

  /** lua_array_length: the array's size, or -1 for an object */
  const arrayLength = (l: unknown): number => {
    let max = 0;
    let items = 0;
    lua.lua_pushnil(l);
    while (lua.lua_next(l, -2) !== 0) {
      if (lua.lua_type(l, -2) === T_NUMBER) {
        const k: number = lua.lua_tonumber(l, -2);
        if (k !== 0 && Math.floor(k) === k && k >= 1) {
          if (k > max) max = k;
          items++;
          lua.lua_pop(l, 1);
          continue;
        }
      }
      lua.lua_pop(l, 2);
      return -1;
    }
    if (max > items * 2 && max > 10) encodeFail(l, -1, 'excessively sparse array');
    return max;
  };

  /** the key (at -2) of an object's member, and its colon */
  const appendKey = (l: unknown, out: Out): void => {
    const kt = lua.lua_type(l, -2);
    if (kt === T_NUMBER) {
      out.bytes.push(0x22);
      appendNumber(l, out, -2);
      out.text('":');
    } else if (kt === T_STRING) {
      out.string(lua.lua_tolstring(l, -2));
      out.bytes.push(0x3a);
    } else encodeFail(l, -2, 'table key must be a number or string');
  };

  const appendData = (l: unknown, out: Out, depth: number): void => {
    switch (lua.lua_type(l, -1)) {
      case T_STRING:
        out.string(lua.lua_tolstring(l, -1));
        return;
      case T_NUMBER:
        appendNumber(l, out, -1);
        return;
      case T_BOOLEAN:
        out.text(lua.lua_toboolean(l, -1) ? 'true' : 'false');
        return;
      case T_NIL:
        out.text('null');
        return;
      case T_LIGHTUSERDATA:
        if (lua.lua_touserdata(l, -1) === JSON_NULL) {
          out.text('null');
          return;
        }
        encodeFail(l, -1, 'type not supported');
        return;
      case T_TABLE: {
        depth++;
        if (depth > 1000 || !lua.lua_checkstack(l, 3)) {
          raise(l, `Cannot serialise, excessive nesting (${depth})`);
          return;
        }
        const len = arrayLength(l);
        if (len > 0) {
          out.bytes.push(0x5b);
          for (let i = 1; i <= len; i++) {
            if (i > 1) out.bytes.push(0x2c);
            lua.lua_rawgeti(l, -1, i);
            appendData(l, out, depth);
            lua.lua_pop(l, 1);
          }
          out.bytes.push(0x5d);
          return;
        }
        out.bytes.push(0x7b);
        // the keys in Lua 5.1's order (fengari's tables keep the order keys were added in)
        const keys: Key51[] = [];
        let odd = false;
        lua.lua_pushnil(l);
        while (lua.lua_next(l, -2) !== 0) {
          const kt = lua.lua_type(l, -2);
          if (kt === T_NUMBER) keys.push({ kind: 'number', n: lua.lua_tonumber(l, -2) });
          else if (kt === T_STRING) keys.push({ kind: 'string', bytes: lua.lua_tolstring(l, -2) });
          else if (kt === T_BOOLEAN) keys.push({ kind: 'boolean', b: lua.lua_toboolean(l, -2) });
          else odd = true;
          lua.lua_pop(l, 1);
        }
        if (odd || keys.length < 2) {
          // (a key of another type: fengari's order, to the first key cjson refuses)
          let comma = false;
          lua.lua_pushnil(l);
          while (lua.lua_next(l, -2) !== 0) {
            if (comma) out.bytes.push(0x2c);
            else comma = true;
            appendKey(l, out);
            appendData(l, out, depth);
            lua.lua_pop(l, 1);
          }
        } else {
          const order = order51(keys, tableShape(lua.lua_topointer(l, -1)));
          for (let i = 0; i < order.length; i++) {
            if (i > 0) out.bytes.push(0x2c);
            const k = keys[order[i]!]!;
            if (k.kind === 'number') lua.lua_pushnumber(l, k.n);
            else if (k.kind === 'string') lua.lua_pushstring(l, k.bytes);
            else lua.lua_pushboolean(l, k.b);
            lua.lua_pushvalue(l, -1);
            lua.lua_rawget(l, -3);
            appendKey(l, out);
            appendData(l, out, depth);
            lua.lua_pop(l, 2);
          }
        }
        out.bytes.push(0x7d);
        return;
      }
      default:
        encodeFail(l, -1, 'type not supported');
    }
  };

  const cjsonEncode = (l: unknown): number => {
    if (lua.lua_gettop(l) !== 1) return lauxlib.luaL_argerror(l, 1, to_luastring('expected 1 argument'));
    const out = new Out();
    appendData(l, out, 0);
    pushBytes(l, out.bytes);
    return 1;
  };

  // decoding
  const TOKEN_NAMES = ['T_OBJ_BEGIN', 'T_OBJ_END', 'T_ARR_BEGIN', 'T_ARR_END', 'T_STRING', 'T_NUMBER', 'T_BOOLEAN', 'T_NULL', 'T_COLON', 'T_COMMA', 'T_END', 'T_WHITESPACE', 'T_ERROR', 'T_UNKNOWN'];
  const [OBJ_BEGIN, OBJ_END, ARR_BEGIN, ARR_END, STRING, NUMBER, BOOLEAN, NULL, COLON, COMMA, END, WHITESPACE, ERROR, UNKNOWN] = TOKEN_NAMES.map((_, i) => i) as number[];
  const CH2TOKEN = new Array<number>(256).fill(ERROR!);
  CH2TOKEN[0x7b] = OBJ_BEGIN!;
  CH2TOKEN[0x7d] = OBJ_END!;
  CH2TOKEN[0x5b] = ARR_BEGIN!;
  CH2TOKEN[0x5d] = ARR_END!;
  CH2TOKEN[0x2c] = COMMA!;
  CH2TOKEN[0x3a] = COLON!;
  CH2TOKEN[0] = END!;
  for (const c of [0x20, 0x09, 0x0a, 0x0d]) CH2TOKEN[c] = WHITESPACE!;
  for (const c of 'fiInNt"+-0123456789') CH2TOKEN[c.charCodeAt(0)] = UNKNOWN!;
  const UNESCAPE = new Array<number>(256).fill(0);
  UNESCAPE[0x22] = 0x22;
  UNESCAPE[0x5c] = 0x5c;
  UNESCAPE[0x2f] = 0x2f;
  UNESCAPE[0x62] = 0x08;
  UNESCAPE[0x74] = 0x09;
  UNESCAPE[0x6e] = 0x0a;
  UNESCAPE[0x66] = 0x0c;
  UNESCAPE[0x72] = 0x0d;
  UNESCAPE[0x75] = 0x75;

  interface Token {
    type: number;
    index: number;
    error?: string;
    str?: number[];
    num?: number;
    bool?: boolean;
  }

  class Parser {
    ptr = 0;
    depth = 0;
    constructor(
      readonly l: unknown,
      readonly data: Uint8Array,
    ) {}
    at(i: number): number {
      return i < this.data.length ? this.data[i]! : 0;
    }
    startsWith(w: string): boolean {
      for (let k = 0; k < w.length; k++) if (this.at(this.ptr + k) !== w.charCodeAt(k)) return false;
      return true;
    }
    hex4(from: number): number {
      let v = 0;
      for (let k = 0; k < 4; k++) {
        const c = this.at(from + k);
        let d: number;
        if (c >= 0x30 && c <= 0x39) d = c - 0x30;
        else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
        else return -1;
        v = (v << 4) + d;
      }
      return v;
    }
    invalidNumber(): boolean {
      let p = this.ptr;
      if (this.at(p) === 0x2b) return true;
      if (this.at(p) === 0x2d) p++;
      if (this.at(p) === 0x30) {
        const c2 = this.at(p + 1);
        return (c2 | 0x20) === 0x78 || (c2 >= 0x30 && c2 <= 0x39);
      }
      if (this.at(p) <= 0x39) return false;
      const three = String.fromCharCode(this.at(p), this.at(p + 1), this.at(p + 2)).toLowerCase();
      return three === 'inf' || three === 'nan';
    }
    tokenError(t: Token, msg: string): void {
      t.type = ERROR!;
      t.index = this.ptr;
      t.error = msg;
    }
    stringToken(t: Token): void {
      this.ptr++;
      const out: number[] = [];
      for (;;) {
        let ch = this.at(this.ptr);
        if (ch === 0x22) break;
        if (ch === 0) return this.tokenError(t, 'unexpected end of string');
        if (ch === 0x5c) {
          ch = UNESCAPE[this.at(this.ptr + 1)]!;
          if (ch === 0x75) {
            if (this.unicodeEscape(out)) continue;
            return this.tokenError(t, 'invalid unicode escape code');
          }
          if (!ch) return this.tokenError(t, 'invalid escape code');
          this.ptr++;
        }
        out.push(ch);
        this.ptr++;
      }
      this.ptr++;
      t.type = STRING!;
      t.str = out;
    }
    unicodeEscape(out: number[]): boolean {
      let cp = this.hex4(this.ptr + 2);
      if (cp < 0) return false;
      let len = 6;
      if ((cp & 0xf800) === 0xd800) {
        if (cp & 0x400) return false;
        if (this.at(this.ptr + 6) !== 0x5c || this.at(this.ptr + 7) !== 0x75) return false;
        const low = this.hex4(this.ptr + 8);
        if (low < 0 || (low & 0xfc00) !== 0xdc00) return false;
        cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
        len = 12;
      }
      if (cp <= 0x7f) out.push(cp);
      else if (cp <= 0x7ff) out.push((cp >> 6) | 0xc0, (cp & 0x3f) | 0x80);
      else if (cp <= 0xffff) out.push((cp >> 12) | 0xe0, ((cp >> 6) & 0x3f) | 0x80, (cp & 0x3f) | 0x80);
      else out.push((cp >> 18) | 0xf0, ((cp >> 12) & 0x3f) | 0x80, ((cp >> 6) & 0x3f) | 0x80, (cp & 0x3f) | 0x80);
      this.ptr += len;
      return true;
    }
    numberToken(t: Token): void {
      t.type = NUMBER!;
      const r = strtod(this.data, this.ptr);
      if (r.end === this.ptr) return this.tokenError(t, 'invalid number');
      t.num = r.value;
      this.ptr = r.end;
    }
    next(): Token {
      let ch: number;
      let type: number;
      for (;;) {
        ch = this.at(this.ptr);
        type = CH2TOKEN[ch]!;
        if (type !== WHITESPACE) break;
        this.ptr++;
      }
      const t: Token = { type, index: this.ptr };
      if (type === ERROR) {
        this.tokenError(t, 'invalid token');
        return t;
      }
      if (type === END) return t;
      if (type !== UNKNOWN) {
        this.ptr++;
        return t;
      }
      if (ch === 0x22) this.stringToken(t);
      else if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) this.numberToken(t);
      else if (this.startsWith('true')) {
        t.type = BOOLEAN!;
        t.bool = true;
        this.ptr += 4;
      } else if (this.startsWith('false')) {
        t.type = BOOLEAN!;
        t.bool = false;
        this.ptr += 5;
      } else if (this.startsWith('null')) {
        t.type = NULL!;
        this.ptr += 4;
      } else if (this.invalidNumber()) this.numberToken(t);
      else this.tokenError(t, 'invalid token');
      return t;
    }
    fail(expected: string, t: Token): never {
      const found = t.type === ERROR ? t.error! : TOKEN_NAMES[t.type]!;
      raise(this.l, `Expected ${expected} but found ${found} at character ${t.index + 1}`);
      throw new Error('unreachable');
    }
    descend(slots: number): void {
      this.depth++;
      if (this.depth <= 1000 && lua.lua_checkstack(this.l, slots)) return;
      raise(this.l, `Found too many nested data structures (${this.depth}) at character ${this.ptr}`);
    }
    value(t: Token): void {
      const l = this.l;
      switch (t.type) {
        case STRING:
          pushBytes(l, t.str!);
          return;
        case NUMBER:
          lua.lua_pushnumber(l, t.num!);
          return;
        case BOOLEAN:
          lua.lua_pushboolean(l, t.bool!);
          return;
        case NULL:
          lua.lua_pushlightuserdata(l, JSON_NULL);
          return;
        case OBJ_BEGIN: {
          this.descend(3);
          lua.lua_newtable(l);
          let tok = this.next();
          if (tok.type === OBJ_END) {
            this.depth--;
            return;
          }
          for (;;) {
            if (tok.type !== STRING) this.fail('object key string', tok);
            pushBytes(l, tok.str!);
            tok = this.next();
            if (tok.type !== COLON) this.fail('colon', tok);
            this.value(this.next());
            lua.lua_rawset(l, -3);
            tok = this.next();
            if (tok.type === OBJ_END) {
              this.depth--;
              return;
            }
            if (tok.type !== COMMA) this.fail('comma or object end', tok);
            tok = this.next();
          }
        }
        case ARR_BEGIN: {
          this.descend(2);
          lua.lua_newtable(l);
          let tok = this.next();
          if (tok.type === ARR_END) {
            this.depth--;
            return;
          }
          for (let i = 1; ; i++) {
            this.value(tok);
            lua.lua_rawseti(l, -2, i);
            tok = this.next();
            if (tok.type === ARR_END) {
              this.depth--;
              return;
            }
            if (tok.type !== COMMA) this.fail('comma or array end', tok);
            tok = this.next();
          }
        }
        default:
          this.fail('value', t);
      }
    }
  }

  const cjsonDecode = (l: unknown): number => {
    if (lua.lua_gettop(l) !== 1) return lauxlib.luaL_argerror(l, 1, to_luastring('expected 1 argument'));
    const data: Uint8Array = lauxlib.luaL_checklstring(l, 1);
    if (data.length >= 2 && (!data[0] || !data[1])) return raise(l, 'JSON parser does not support UTF-16 or UTF-32');
    const p = new Parser(l, data);
    p.value(p.next());
    const end = p.next();
    if (end.type !== END) p.fail('the end', end);
    return 1;
  };

  lua.lua_createtable(L, 0, 6);
  lua.lua_pushjsfunction(L, cjsonEncode);
  lua.lua_setfield(L, -2, to_luastring('encode'));
  lua.lua_pushjsfunction(L, cjsonDecode);
  lua.lua_setfield(L, -2, to_luastring('decode'));
  lua.lua_pushlightuserdata(L, JSON_NULL);
  lua.lua_setfield(L, -2, to_luastring('null'));
  lua.lua_pushstring(L, to_luastring('cjson'));
  lua.lua_setfield(L, -2, to_luastring('_NAME'));
  lua.lua_pushstring(L, to_luastring('2.1.0'));
  lua.lua_setfield(L, -2, to_luastring('_VERSION'));
  lua.lua_setglobal(L, to_luastring('cjson'));

  // ---- cmsgpack (decoding) ----

  const EOF = 1;
  const BADFMT = 2;
  class Cursor {
    p: number;
    err = 0;
    constructor(
      readonly b: Uint8Array,
      start: number,
    ) {
      this.p = start;
    }
    get left(): number {
      return this.b.length - this.p;
    }
    need(n: number): boolean {
      if (this.left < n) {
        this.err = EOF;
        return false;
      }
      return true;
    }
    u(n: number, off = 1): number {
      let v = 0;
      for (let k = 0; k < n; k++) v = v * 256 + this.b[this.p + off + k]!;
      return v;
    }
  }

  const decodeValue = (l: unknown, c: Cursor): void => {
    if (!c.need(1)) return;
    lauxlib.luaL_checkstack(l, 1, to_luastring('too many return values at once; use unpack_one or unpack_limit instead.'));
    const b = c.b;
    const t = b[c.p]!;
    const num = (n: number, size: number) => {
      lua.lua_pushnumber(l, n);
      c.p += size;
    };
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const str = (headerLen: number, len: number) => {
      if (!c.need(headerLen + len)) return;
      lua.lua_pushstring(l, b.slice(c.p + headerLen, c.p + headerLen + len));
      c.p += headerLen + len;
    };
    const array = (len: number) => {
      lua.lua_newtable(l);
      lauxlib.luaL_checkstack(l, 1, to_luastring('in function mp_decode_to_lua_array'));
      for (let i = 1; i <= len; i++) {
        lua.lua_pushnumber(l, i);
        decodeValue(l, c);
        if (c.err) return;
        lua.lua_settable(l, -3);
      }
    };
    const map = (len: number) => {
      lua.lua_newtable(l);
      for (let i = 0; i < len; i++) {
        decodeValue(l, c);
        if (c.err) return;
        decodeValue(l, c);
        if (c.err) return;
        lua.lua_settable(l, -3);
      }
    };
    switch (t) {
      case 0xcc:
        if (c.need(2)) num(c.u(1), 2);
        return;
      case 0xd0:
        if (c.need(2)) num(dv.getInt8(c.p + 1), 2);
        return;
      case 0xcd:
        if (c.need(3)) num(c.u(2), 3);
        return;
      case 0xd1:
        if (c.need(3)) num(dv.getInt16(c.p + 1), 3);
        return;
      case 0xce:
        if (c.need(5)) num(c.u(4), 5);
        return;
      case 0xd2:
        if (c.need(5)) num(dv.getInt32(c.p + 1), 5);
        return;
      case 0xcf:
        // (Redis pushes it as a signed lua_Integer first: 2^64 - 1 reads as -1)
        if (c.need(9)) num(Number(dv.getBigInt64(c.p + 1)), 9);
        return;
      case 0xd3:
        if (c.need(9)) num(Number(dv.getBigInt64(c.p + 1)), 9);
        return;
      case 0xc0:
        lua.lua_pushnil(l);
        c.p += 1;
        return;
      case 0xc3:
      case 0xc2:
        lua.lua_pushboolean(l, t === 0xc3);
        c.p += 1;
        return;
      case 0xca:
        if (c.need(5)) num(dv.getFloat32(c.p + 1), 5);
        return;
      case 0xcb:
        if (c.need(9)) num(dv.getFloat64(c.p + 1), 9);
        return;
      case 0xd9:
        if (c.need(2)) str(2, c.u(1));
        return;
      case 0xda:
        if (c.need(3)) str(3, c.u(2));
        return;
      case 0xdb:
        if (c.need(5)) str(5, c.u(4));
        return;
      case 0xdc:
        if (c.need(3)) {
          const n = c.u(2);
          c.p += 3;
          array(n);
        }
        return;
      case 0xdd:
        if (c.need(5)) {
          const n = c.u(4);
          c.p += 5;
          array(n);
        }
        return;
      case 0xde:
        if (c.need(3)) {
          const n = c.u(2);
          c.p += 3;
          map(n);
        }
        return;
      case 0xdf:
        if (c.need(5)) {
          const n = c.u(4);
          c.p += 5;
          map(n);
        }
        return;
      default:
        if ((t & 0x80) === 0) num(t, 1);
        else if ((t & 0xe0) === 0xe0) num(t - 256, 1);
        else if ((t & 0xe0) === 0xa0) str(1, t & 0x1f);
        else if ((t & 0xf0) === 0x90) {
          c.p += 1;
          array(t & 0xf);
        } else if ((t & 0xf0) === 0x80) {
          c.p += 1;
          map(t & 0xf);
        } else c.err = BADFMT;
    }
  };

  const unpackFull = (l: unknown, limit: number, offset: number): number => {
    const s: Uint8Array = lauxlib.luaL_checklstring(l, 1);
    const decodeAll = !limit && !offset;
    if (offset < 0 || limit < 0) return raise(l, `Invalid request to unpack with offset of ${offset} and limit of ${s.length}.`);
    if (offset > s.length) return raise(l, `Start offset ${offset} greater than input length ${s.length}.`);
    const max = decodeAll ? 0x7fffffff : limit;
    const c = new Cursor(s, offset);
    let count = 0;
    for (; c.left > 0 && count < max; count++) {
      decodeValue(l, c);
      if (c.err === EOF) return raise(l, 'Missing bytes in input.');
      if (c.err === BADFMT) return raise(l, 'Bad data format in input.');
    }
    if (!decodeAll) {
      lua.lua_pushnumber(l, c.left === 0 ? -1 : c.p);
      lua.lua_insert(l, 2);
      count++;
    }
    return count;
  };

  lua.lua_createtable(L, 0, 6);
  lua.lua_pushjsfunction(L, (l: unknown) => unpackFull(l, 0, 0));
  lua.lua_setfield(L, -2, to_luastring('unpack'));
  lua.lua_pushjsfunction(L, (l: unknown) => {
    const offset = lua.lua_isnoneornil(l, 2) ? 0 : Math.trunc(lauxlib.luaL_checknumber(l, 2));
    lua.lua_settop(l, 1);
    return unpackFull(l, 1, offset);
  });
  lua.lua_setfield(L, -2, to_luastring('unpack_one'));
  lua.lua_pushjsfunction(L, (l: unknown) => {
    const limit = Math.trunc(lauxlib.luaL_checknumber(l, 2));
    const offset = lua.lua_isnoneornil(l, 3) ? 0 : Math.trunc(lauxlib.luaL_checknumber(l, 3));
    lua.lua_settop(l, 1);
    return unpackFull(l, limit, offset);
  });
  lua.lua_setfield(L, -2, to_luastring('unpack_limit'));
  lua.lua_pushstring(L, to_luastring('lua-cmsgpack'));
  lua.lua_setfield(L, -2, to_luastring('_NAME'));
  lua.lua_pushstring(L, to_luastring('lua-cmsgpack 0.4.0'));
  lua.lua_setfield(L, -2, to_luastring('_VERSION'));
  lua.lua_pushstring(L, to_luastring('Copyright (C) 2012, Salvatore Sanfilippo'));
  lua.lua_setfield(L, -2, to_luastring('_COPYRIGHT'));
  lua.lua_pushstring(L, to_luastring('MessagePack C implementation for Lua'));
  lua.lua_setfield(L, -2, to_luastring('_DESCRIPTION'));
  lua.lua_setglobal(L, to_luastring('cmsgpack'));
  installMsgpackPack(f, L);
  installStruct(f, L);

  // ---- bit (LuaBitOp on doubles) ----

  /** barg: the low 32 bits of n + 2^52 + 2^51 (round to nearest even, modulo 2^32) */
  const barg = (l: unknown, idx: number): number => {
    const t = lua.lua_type(l, idx);
    const n: number = t === T_NUMBER || t === T_STRING ? (lua.lua_tonumber(l, idx) ?? 0) : 0;
    f64[0] = n + 6755399441055744.0;
    const b = u32[LO]! >>> 0;
    if (b === 0 && !lua.lua_isnumber(l, idx)) lauxlib.luaL_argerror(l, idx, to_luastring(`number expected, got ${typeName(l, idx)}`));
    return b;
  };
  const ret = (l: unknown, b: number): number => {
    lua.lua_pushnumber(l, b | 0);
    return 1;
  };
  const bitFns: Record<string, (l: unknown) => number> = {
    tobit: (l) => ret(l, barg(l, 1)),
    bnot: (l) => ret(l, ~barg(l, 1)),
    band: (l) => {
      let b = barg(l, 1);
      for (let i = lua.lua_gettop(l); i > 1; i--) b &= barg(l, i);
      return ret(l, b);
    },
    bor: (l) => {
      let b = barg(l, 1);
      for (let i = lua.lua_gettop(l); i > 1; i--) b |= barg(l, i);
      return ret(l, b);
    },
    bxor: (l) => {
      let b = barg(l, 1);
      for (let i = lua.lua_gettop(l); i > 1; i--) b ^= barg(l, i);
      return ret(l, b);
    },
    lshift: (l) => {
      const b = barg(l, 1);
      return ret(l, b << (barg(l, 2) & 31));
    },
    rshift: (l) => {
      const b = barg(l, 1);
      return ret(l, b >>> (barg(l, 2) & 31));
    },
    arshift: (l) => {
      const b = barg(l, 1);
      return ret(l, (b | 0) >> (barg(l, 2) & 31));
    },
    rol: (l) => {
      const b = barg(l, 1);
      const n = barg(l, 2) & 31;
      return ret(l, (b << n) | (n === 0 ? 0 : b >>> (32 - n)));
    },
    ror: (l) => {
      const b = barg(l, 1);
      const n = barg(l, 2) & 31;
      return ret(l, (n === 0 ? 0 : b << (32 - n)) | (b >>> n));
    },
    bswap: (l) => {
      const b = barg(l, 1);
      return ret(l, (b >>> 24) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24));
    },
    tohex: (l) => {
      let b = barg(l, 1);
      let n = lua.lua_isnone(l, 2) ? 8 : barg(l, 2) | 0;
      let digits = '0123456789abcdef';
      if (n < 0) {
        n = -n;
        digits = '0123456789ABCDEF';
      }
      if (n > 8) n = 8;
      const out = new Array<number>(n);
      for (let i = n; --i >= 0; ) {
        out[i] = digits.charCodeAt(b & 15);
        b >>>= 4;
      }
      pushBytes(l, out);
      return 1;
    },
  };
  lua.lua_createtable(L, 0, 12);
  for (const [name, fn] of Object.entries(bitFns)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, to_luastring(name));
  }
  lua.lua_setglobal(L, to_luastring('bit'));
}

function bytesToLatin1(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

/**
 * string.format as Lua 5.1 has it for the integer conversions (%d %i %o %u %x %X %c): the
 * number is cast to a C long long (truncated; out of range or nan: the x86 result, -2^63)
 * where fengari wants an exact 32-bit integer ("number has no integer representation"). Those
 * conversions are written here; the rest of the format goes to fengari's string.format.
 */
export function installLua51Format(f: FengariParts, L: unknown): void {
  const { lua, lauxlib, to_luastring } = f;
  lua.lua_getglobal(L, to_luastring('string'));
  lua.lua_getfield(L, -1, to_luastring('format'));
  const original: number = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  const INTEGER = new Set([0x64, 0x69, 0x6f, 0x75, 0x78, 0x58, 0x63]); // d i o u x X c
  const NUMERIC = new Set([0x65, 0x45, 0x66, 0x67, 0x47]); // e E f g G
  const FLAGS = new Set([0x2d, 0x2b, 0x20, 0x23, 0x30]);
  const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

  const formatInteger = (n: number, flags: string, width: number, precision: number | null, conv: string): string => {
    let v: bigint;
    if (!Number.isFinite(n) || n >= 2 ** 63 || n < -(2 ** 63)) v = -(2n ** 63n);
    else v = BigInt(Math.trunc(n));
    if (conv === 'c') {
      // (int) of the double, then C's strlen of what sprintf wrote: a 0 byte writes nothing
      const t = Math.trunc(n);
      const byte = Number.isFinite(t) && t >= -(2 ** 31) && t < 2 ** 31 ? t & 0xff : 0;
      return byte === 0 ? '' : String.fromCharCode(byte);
    }
    let digits: string;
    let sign = '';
    let prefix = '';
    if (conv === 'd' || conv === 'i') {
      if (v < 0n) {
        sign = '-';
        v = -v;
      } else if (flags.includes('+')) sign = '+';
      else if (flags.includes(' ')) sign = ' ';
      digits = v.toString();
    } else {
      const u = BigInt.asUintN(64, v);
      digits = u.toString(conv === 'o' ? 8 : conv === 'u' ? 10 : 16);
      if (conv === 'X') digits = digits.toUpperCase();
      if (flags.includes('#')) {
        if (conv === 'o' && !digits.startsWith('0')) prefix = '0';
        if ((conv === 'x' || conv === 'X') && u !== 0n) prefix = conv === 'x' ? '0x' : '0X';
      }
    }
    if (precision !== null) {
      if (precision === 0 && digits === '0') digits = conv === 'o' && prefix === '0' ? '' : '';
      digits = digits.padStart(precision, '0');
      if (conv === 'o' && flags.includes('#') && !digits.startsWith('0')) prefix = '0';
      else if (conv === 'o' && digits.startsWith('0')) prefix = '';
    }
    const body = digits;
    const len = sign.length + prefix.length + body.length;
    if (len >= width) return sign + prefix + body;
    if (flags.includes('-')) return (sign + prefix + body).padEnd(width, ' ');
    if (flags.includes('0') && precision === null) return sign + prefix + body.padStart(width - sign.length - prefix.length, '0');
    return (sign + prefix + body).padStart(width, ' ');
  };

  const format = (l: unknown): number => {
    const top: number = lua.lua_gettop(l);
    const fmt: Uint8Array = lauxlib.luaL_checklstring(l, 1);
    const out: number[] = [];
    const passed: number[] = []; // the arguments left for fengari's format
    let arg = 1;
    let rewritten = false;
    for (let i = 0; i < fmt.length; ) {
      const c = fmt[i]!;
      if (c !== 0x25) {
        out.push(c);
        i++;
        continue;
      }
      if (fmt[i + 1] === 0x25) {
        out.push(0x25, 0x25);
        i += 2;
        continue;
      }
      let j = i + 1;
      while (j < fmt.length && FLAGS.has(fmt[j]!)) j++;
      const flags = String.fromCharCode(...fmt.subarray(i + 1, j));
      const w0 = j;
      while (isDigit(fmt[j])) j++;
      const width = j > w0 ? Number(String.fromCharCode(...fmt.subarray(w0, j))) : 0;
      const widthDigits = j - w0;
      let precision: number | null = null;
      let precisionDigits = 0;
      if (fmt[j] === 0x2e) {
        j++;
        const p0 = j;
        while (isDigit(fmt[j])) j++;
        precisionDigits = j - p0;
        precision = j > p0 ? Number(String.fromCharCode(...fmt.subarray(p0, j))) : 0;
      }
      const conv = fmt[j];
      arg++;
      const wellFormed = conv !== undefined && flags.length <= 5 && widthDigits <= 2 && precisionDigits <= 2;
      // the argument checks 5.1 makes, in order, by the argument's own position
      if (wellFormed && arg > top) return lauxlib.luaL_argerror(l, arg, to_luastring('no value'));
      if (wellFormed && (INTEGER.has(conv) || NUMERIC.has(conv)) && !lua.lua_isnumber(l, arg)) {
        return lauxlib.luaL_argerror(l, arg, to_luastring(`number expected, got ${bytesToLatin1(lua.lua_typename(l, lua.lua_type(l, arg)))}`));
      }
      const ok = wellFormed && INTEGER.has(conv);
      if (!ok) {
        for (let k = i; k <= Math.min(j, fmt.length - 1); k++) out.push(fmt[k]!);
        passed.push(arg);
        i = j + 1;
        continue;
      }
      const text = formatInteger(lua.lua_tonumber(l, arg), flags, width, precision, String.fromCharCode(conv));
      for (let k = 0; k < text.length; k++) {
        const b = text.charCodeAt(k);
        if (b === 0x25) out.push(0x25);
        out.push(b);
      }
      rewritten = true;
      i = j + 1;
    }
    if (rewritten && passed.length === 0) {
      // every conversion written here: fengari's format would copy the rest, each "%%" as "%"
      const text = new Uint8Array(out.length);
      let n = 0;
      for (let k = 0; k < out.length; k++) {
        text[n++] = out[k]!;
        if (out[k] === 0x25) k++;
      }
      lua.lua_pushstring(l, text.subarray(0, n));
      return 1;
    }
    lua.lua_rawgeti(l, lua.LUA_REGISTRYINDEX, original);
    if (!rewritten) {
      for (let k = 1; k <= top; k++) lua.lua_pushvalue(l, k);
      lua.lua_call(l, top, 1);
      return 1;
    }
    lua.lua_pushstring(l, Uint8Array.from(out));
    for (const k of passed) if (k <= top) lua.lua_pushvalue(l, k);
    lua.lua_call(l, 1 + passed.filter((k) => k <= top).length, 1);
    return 1;
  };
  lua.lua_pushjsfunction(L, format);
  lua.lua_setfield(L, -2, to_luastring('format'));
  lua.lua_pop(L, 1);
}

/**
 * unpack and tonumber as Lua 5.1 has them: unpack refuses more results than 5.1's C stack
 * holds (LUAI_MAXCSTACK, 8000 slots: "too many results to unpack"), where fengari allows a
 * million; tonumber with base 10 is the plain conversion (decimals too) and with another base
 * reads as C's strtoul does.
 */
export function installLua51Base(f: FengariParts, L: unknown): void {
  const { lua, lauxlib, to_luastring } = f;
  const T_NUMBER: number = lua.LUA_TNUMBER;
  const T_STRING: number = lua.LUA_TSTRING;
  const MAXCSTACK = 8000;
  /** luaL_checkint / luaL_optint: C's cast of the number (truncation) */
  const checkInt = (l: unknown, i: number): number => {
    const t = lua.lua_type(l, i);
    if (t !== T_NUMBER && !(t === T_STRING && lua.lua_isnumber(l, i))) {
      lauxlib.luaL_argerror(l, i, to_luastring(`number expected, got ${bytesToLatin1(lua.lua_typename(l, t))}`));
    }
    const n = Math.trunc(lua.lua_tonumber(l, i));
    return Number.isFinite(n) && n >= -(2 ** 31) && n < 2 ** 31 ? n : -(2 ** 31);
  };
  const unpack = (l: unknown): number => {
    if (lua.lua_type(l, 1) !== lua.LUA_TTABLE) {
      return lauxlib.luaL_argerror(l, 1, to_luastring(`table expected, got ${bytesToLatin1(lua.lua_typename(l, lua.lua_type(l, 1)))}`));
    }
    const i = lua.lua_isnoneornil(l, 2) ? 1 : checkInt(l, 2);
    const e = lua.lua_isnoneornil(l, 3) ? Number(lauxlib.luaL_len(l, 1)) : checkInt(l, 3);
    if (i > e) return 0;
    const n = e - i + 1;
    if (n <= 0 || lua.lua_gettop(l) + n > MAXCSTACK || !lua.lua_checkstack(l, n)) return lauxlib.luaL_error(l, to_luastring('too many results to unpack'));
    for (let k = i; k <= e; k++) lua.lua_rawgeti(l, 1, k);
    return n;
  };
  const tonumber = (l: unknown): number => {
    const base = lua.lua_isnoneornil(l, 2) ? 10 : checkInt(l, 2);
    if (base === 10) {
      lauxlib.luaL_checkany(l, 1);
      if (lua.lua_isnumber(l, 1)) lua.lua_pushnumber(l, lua.lua_tonumber(l, 1));
      else lua.lua_pushnil(l);
      return 1;
    }
    const t = lua.lua_type(l, 1);
    if (t !== T_STRING && t !== T_NUMBER) return lauxlib.luaL_argerror(l, 1, to_luastring(`string expected, got ${bytesToLatin1(lua.lua_typename(l, t))}`));
    if (base < 2 || base > 36) return lauxlib.luaL_argerror(l, 2, to_luastring('base out of range'));
    const s: Uint8Array = t === T_STRING ? lua.lua_tolstring(l, 1) : Uint8Array.from(formatG(lua.lua_tonumber(l, 1), 14), (c) => c.charCodeAt(0));
    const space = (c: number | undefined) => c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
    const at = (k: number) => (k < s.length ? s[k]! : 0);
    let k = 0;
    while (space(at(k))) k++;
    let neg = false;
    if (at(k) === 0x2b || at(k) === 0x2d) neg = at(k++) === 0x2d;
    const digit = (c: number) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a ? (c | 0x20) - 0x61 + 10 : 99);
    if (base === 16 && at(k) === 0x30 && (at(k + 1) | 0x20) === 0x78 && digit(at(k + 2)) < 16) k += 2;
    const start = k;
    let v = 0n;
    const max = 2n ** 64n - 1n;
    let overflow = false;
    while (digit(at(k)) < base) {
      v = v * BigInt(base) + BigInt(digit(at(k)));
      if (v > max) overflow = true;
      k++;
    }
    if (k === start) {
      lua.lua_pushnil(l);
      return 1;
    }
    if (overflow) v = max;
    else if (neg) v = BigInt.asUintN(64, -v);
    while (space(at(k))) k++;
    if (at(k) !== 0) {
      lua.lua_pushnil(l);
      return 1;
    }
    lua.lua_pushnumber(l, Number(v));
    return 1;
  };
  lua.lua_pushjsfunction(L, unpack);
  lua.lua_setglobal(L, to_luastring('unpack'));
  lua.lua_pushjsfunction(L, tonumber);
  lua.lua_setglobal(L, to_luastring('tonumber'));
}
