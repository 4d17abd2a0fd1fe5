// The struct library redis-server 7.0 loads for scripts (Roberto Ierusalimschy's struct,
// deps/lua/src/lua_struct.c, with Redis's bounds fixes), as it behaves built for x86-64: native
// order little-endian, a long and a size_t 8 bytes, an int 4, a short 2, the largest alignment 8.
//
//   struct.pack(fmt, ...)          the values as bytes
//   struct.unpack(fmt, s [, i])    the values read from s at i (1 by default), then the index after them
//   struct.size(fmt)               the bytes a format takes (no s, no c0)
//
// Format characters: '>' big-endian, '<' little-endian, '![n]' align to n (a power of 2, 8 without
// n), 'x' a zero byte, 'b'/'B' signed/unsigned char, 'h'/'H' short, 'l'/'L' long, 'T' size_t,
// 'i[n]'/'I[n]' an integer of n bytes (4 without n, at most 32: above 8 bytes the value's high
// bytes are zeros), 'c[n]' n bytes of a string (c0: the whole string when packing, a length read
// just before when unpacking), 's' a zero-terminated string, 'f' float, 'd' double, ' ' ignored.
// Anything else is an error ("invalid format option 'z'"); '=' is not an option in this version.
// The format is read as a C string (up to a NUL byte). Numbers are C doubles converted as x86-64
// converts them: to an integer by truncation, out of range giving INT64_MIN (negative) or, for
// values of 2^64 and more, 0 (the unsigned conversion's overflow).

/* eslint-disable @typescript-eslint/no-explicit-any */

import type { FengariParts } from './lua-libs.ts';

const BIG = 0;
const LITTLE = 1;
const NATIVE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? LITTLE : BIG;
const MAXINTSIZE = 32;
const MAXALIGN = 8;
const INT_MAX = 2147483647;
const MASK64 = (1n << 64n) - 1n;
/** LUAI_MAXCSTACK: the slots a C function may use on Redis's Lua 5.1 */
const MAXCSTACK = 8000;

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isp2 = (x: number): boolean => x > 0 && (x & (x - 1)) === 0;

/** (int64_t)d on x86-64: truncation, INT64_MIN when out of range or nan */
function toInt64(d: number): bigint {
  if (!(d >= -(2 ** 63) && d < 2 ** 63)) return -(1n << 63n);
  return BigInt(Math.trunc(d));
}

/** (uint64_t)d on x86-64 as gcc emits it: below 2^63 the signed conversion, else of d - 2^63 with the top bit flipped */
function toUint64(d: number): bigint {
  if (Number.isNaN(d) || d < 2 ** 63) return BigInt.asUintN(64, toInt64(d));
  return BigInt.asUintN(64, toInt64(d - 2 ** 63) ^ (1n << 63n));
}

/** adds the global struct (call once, at setup) */
export function installStruct(f: FengariParts, L: unknown): void {
  const { lua, lauxlib, to_luastring } = f;

  const raise = (l: unknown, msg: string): never => {
    lauxlib.luaL_error(l, to_luastring('%s'), to_luastring(msg));
    throw new Error('unreachable');
  };
  const argError = (l: unknown, arg: number, msg: string | Uint8Array): never => {
    lauxlib.luaL_argerror(l, arg, typeof msg === 'string' ? to_luastring(msg) : msg);
    throw new Error('unreachable');
  };

  /** the format as C reads it: up to its first NUL byte */
  const checkFormat = (l: unknown): Uint8Array => {
    const s: Uint8Array = lauxlib.luaL_checklstring(l, 1);
    const nul = s.indexOf(0);
    return nul < 0 ? s : s.subarray(0, nul);
  };

  class Fmt {
    i = 0;
    endian = NATIVE;
    align = 1;
    constructor(
      readonly l: unknown,
      readonly b: Uint8Array,
    ) {}
    get more(): boolean {
      return this.i < this.b.length;
    }
    next(): number {
      return this.b[this.i++]!;
    }
    getnum(df: number): number {
      if (!isDigit(this.b[this.i])) return df;
      let a = 0;
      do {
        const d = this.b[this.i]! - 0x30;
        if (a > Math.trunc(INT_MAX / 10) || a * 10 > INT_MAX - d) raise(this.l, 'integral size overflow');
        a = a * 10 + d;
        this.i++;
      } while (isDigit(this.b[this.i]));
      return a;
    }
    optsize(opt: number): number {
      switch (opt) {
        case 0x42: // B
        case 0x62: // b
        case 0x78: // x
          return 1;
        case 0x48: // H
        case 0x68: // h
          return 2;
        case 0x4c: // L
        case 0x6c: // l
        case 0x54: // T
        case 0x64: // d
          return 8;
        case 0x66: // f
          return 4;
        case 0x63: // c
          return this.getnum(1);
        case 0x69: // i
        case 0x49: {
          // I
          const sz = this.getnum(4);
          if (sz > MAXINTSIZE) raise(this.l, `integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
          return sz;
        }
        default:
          return 0;
      }
    }
    toalign(len: number, opt: number, size: number): number {
      if (size === 0 || opt === 0x63) return 0;
      if (size > this.align) size = this.align;
      // (size_t arithmetic: len's low bits; size - (len & (size - 1)) is never negative)
      const low = Number(BigInt(len) & BigInt(size - 1));
      return (size - low) & (size - 1);
    }
    control(opt: number): void {
      switch (opt) {
        case 0x20:
          return;
        case 0x3e:
          this.endian = BIG;
          return;
        case 0x3c:
          this.endian = LITTLE;
          return;
        case 0x21: {
          const a = this.getnum(MAXALIGN);
          if (!isp2(a)) raise(this.l, `alignment ${a} is not a power of 2`);
          this.align = a;
          return;
        }
        default: {
          const msg = [...to_luastring("invalid format option '"), opt, 0x27];
          argError(this.l, 1, Uint8Array.from(msg));
        }
      }
    }
  }

  const isInteger = (opt: number): boolean => [0x62, 0x42, 0x68, 0x48, 0x6c, 0x4c, 0x54, 0x69, 0x49].includes(opt);

  /** the bytes of a double's or a float's IEEE representation in this order */
  const floatBytes = (v: number, size: 4 | 8, endian: number): number[] => {
    const dv = new DataView(new ArrayBuffer(size));
    if (size === 4) dv.setFloat32(0, v, endian === LITTLE);
    else dv.setFloat64(0, v, endian === LITTLE);
    return Array.from(new Uint8Array(dv.buffer));
  };

  const pack = (l: unknown): number => {
    const fmt = new Fmt(l, checkFormat(l));
    let arg = 2;
    let total = 0;
    const out: number[] = [];
    lua.lua_pushnil(l); // (lua_struct.c's mark after the arguments: a missing one reads as this nil)
    while (fmt.more) {
      const opt = fmt.next();
      let size = fmt.optsize(opt);
      let toalign = fmt.toalign(total, opt, size);
      total += toalign;
      while (toalign-- > 0) out.push(0);
      if (isInteger(opt)) {
        const n: number = lauxlib.luaL_checknumber(l, arg++);
        let value = n < 0 ? BigInt.asUintN(64, toInt64(n)) : toUint64(n);
        const bytes: number[] = new Array<number>(size);
        if (fmt.endian === LITTLE) {
          for (let i = 0; i < size; i++) {
            bytes[i] = Number(value & 0xffn);
            value >>= 8n;
          }
        } else {
          for (let i = size - 1; i >= 0; i--) {
            bytes[i] = Number(value & 0xffn);
            value >>= 8n;
          }
        }
        for (const b of bytes) out.push(b);
      } else if (opt === 0x78) out.push(0);
      else if (opt === 0x66) out.push(...floatBytes(Math.fround(lauxlib.luaL_checknumber(l, arg++)), 4, fmt.endian));
      else if (opt === 0x64) out.push(...floatBytes(lauxlib.luaL_checknumber(l, arg++), 8, fmt.endian));
      else if (opt === 0x63 || opt === 0x73) {
        const s: Uint8Array = lauxlib.luaL_checklstring(l, arg++);
        if (size === 0) size = s.length;
        // (the argument number after the string's, as lua_struct.c reports it)
        if (!(s.length >= size)) argError(l, arg, 'string too short');
        for (let i = 0; i < size; i++) out.push(s[i]!);
        if (opt === 0x73) {
          out.push(0);
          size++;
        }
      } else fmt.control(opt);
      total += size;
    }
    lua.lua_pushstring(l, Uint8Array.from(out));
    return 1;
  };

  /** luaL_optinteger as Lua 5.1 reads it: (ptrdiff_t) of the number */
  const optInteger = (l: unknown, arg: number, df: bigint): bigint => {
    if (lua.lua_isnoneornil(l, arg)) return df;
    if (!lua.lua_isnumber(l, arg)) {
      argError(l, arg, `number expected, got ${String.fromCharCode(...lua.lua_typename(l, lua.lua_type(l, arg)))}`);
    }
    return toInt64(lua.lua_tonumber(l, arg));
  };

  const unpack = (l: unknown): number => {
    const fmt = new Fmt(l, checkFormat(l));
    const data: Uint8Array = lauxlib.luaL_checklstring(l, 2);
    const ld = data.length;
    const offset = BigInt.asUintN(64, optInteger(l, 3, 1n)); // a size_t
    if (!(offset > 0n)) argError(l, 3, 'offset must be 1 or greater');
    // pos: beyond the data (a negative offset is a huge size_t) it fails every check below
    const beyond = offset - 1n > BigInt(ld);
    let pos = beyond ? Infinity : Number(offset - 1n);
    let n = 0;
    const tooShort = (size: number): boolean => !(size <= ld && pos <= ld - size);
    while (fmt.more) {
      const opt = fmt.next();
      let size = fmt.optsize(opt);
      pos += fmt.toalign(Number.isFinite(pos) ? pos : 0, opt, size);
      if (tooShort(size)) argError(l, 2, 'data string too short');
      if (lua.lua_gettop(l) + 2 > MAXCSTACK || !lua.lua_checkstack(l, 2)) raise(l, 'stack overflow (too many results)');
      if (isInteger(opt)) {
        const issigned = opt >= 0x61;
        let v = 0n;
        if (fmt.endian === BIG) for (let i = 0; i < size; i++) v = ((v << 8n) | BigInt(data[pos + i]!)) & MASK64;
        else for (let i = size - 1; i >= 0; i--) v = ((v << 8n) | BigInt(data[pos + i]!)) & MASK64;
        if (issigned) {
          // (~0 << (size*8 - 1): x86's shift counts modulo 64)
          const mask = (MASK64 << BigInt((size * 8 - 1) & 63)) & MASK64;
          if (v & mask) v |= mask;
          lua.lua_pushnumber(l, Number(BigInt.asIntN(64, v)));
        } else lua.lua_pushnumber(l, Number(v));
        n++;
      } else if (opt === 0x78) {
        // padding
      } else if (opt === 0x66 || opt === 0x64) {
        const dv = new DataView(data.buffer, data.byteOffset + pos, size);
        lua.lua_pushnumber(l, opt === 0x66 ? dv.getFloat32(0, fmt.endian === LITTLE) : dv.getFloat64(0, fmt.endian === LITTLE));
        n++;
      } else if (opt === 0x63) {
        if (size === 0) {
          if (n === 0 || !lua.lua_isnumber(l, -1)) raise(l, "format 'c0' needs a previous size");
          const u = toUint64(lua.lua_tonumber(l, -1));
          lua.lua_pop(l, 1);
          n--;
          size = u > BigInt(ld) ? Infinity : Number(u);
          if (tooShort(size)) argError(l, 2, 'data string too short');
        }
        lua.lua_pushstring(l, data.slice(pos, pos + size));
        n++;
      } else if (opt === 0x73) {
        const e = data.indexOf(0, pos);
        if (e < 0) raise(l, 'unfinished string in data');
        size = e - pos + 1;
        lua.lua_pushstring(l, data.slice(pos, e));
        n++;
      } else fmt.control(opt);
      pos += size;
    }
    // (an empty format: the offset as given, back through ptrdiff_t)
    lua.lua_pushnumber(l, Number.isFinite(pos) ? pos + 1 : Number(BigInt.asIntN(64, offset)));
    return n + 1;
  };

  const size = (l: unknown): number => {
    const fmt = new Fmt(l, checkFormat(l));
    let pos = 0;
    while (fmt.more) {
      const opt = fmt.next();
      const sz = fmt.optsize(opt);
      pos += fmt.toalign(pos, opt, sz);
      if (opt === 0x73) argError(l, 1, "option 's' has no fixed size");
      else if (opt === 0x63 && sz === 0) argError(l, 1, "option 'c0' has no fixed size");
      if (!isAlnum(opt)) fmt.control(opt);
      pos += sz;
    }
    lua.lua_pushnumber(l, pos);
    return 1;
  };

  lua.lua_createtable(L, 0, 3);
  for (const [name, fn] of [
    ['pack', pack],
    ['unpack', unpack],
    ['size', size],
  ] as const) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, to_luastring(name));
  }
  lua.lua_setglobal(L, to_luastring('struct'));
}
