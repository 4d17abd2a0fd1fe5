// fengari (Lua 5.3) stores a table key that is a number with an integral value in the 32-bit
// integer range as an integer, and next() (so pairs) gives that integer back: arithmetic on two
// such keys, their negation and math.abs then wrap at 32 bits, where Lua 5.1 (every number a
// double) does not: for k = 2^30, k + k is -2^31; for k = -2^31, -k and math.abs(k) are -2^31.
// Here next() gives every number key as a float (the stack slot it writes, not the table's key:
// lookups are unchanged, a float key finds the integer one), as Redis's Lua 5.1 has it.
//
// And the sizes a table constructor gives the table it makes: Lua 5.1 makes {a = 1, b = 2, 3}
// with room for 1 array item and 2 keys in its hash part (OP_NEWTABLE's B and C), which decides
// the order its next() yields the keys in; fengari ignores them. They are kept here (tablePresize)
// for the model of 5.1's table layout in lua-libs.ts (order51), as cjson.encode and
// cmsgpack.pack use it.

import { createRequire } from 'node:module';

let patched = false;

/** the array and hash sizes a constructor gave these tables (Lua 5.1's OP_NEWTABLE) */
const presizes = new WeakMap<object, [number, number]>();

/** the sizes Lua 5.1 would have given this table when a constructor made it (lua_topointer's table) */
export function tablePresize(t: unknown): [number, number] | undefined {
  return typeof t === 'object' && t !== null ? presizes.get(t) : undefined;
}

/** luaO_fb2int: a "floating point byte" (eeeeexxx) as the size it stands for */
const fb2int = (x: number): number => (x < 8 ? x : ((x & 7) + 8) * 2 ** ((x >> 3) - 1));

interface CallInfo {
  callstatus: number;
  l_code: { opcode: number; B: number; C: number }[] | null;
  l_savedpc: number;
}

interface TValue {
  type: number;
  value: unknown;
  setfltvalue(x: number): void;
}

/** next() yields number keys as floats, constructors' sizes are kept (once; call after fengari is loaded) */
export function floatTableKeys(): void {
  if (patched) return;
  patched = true;
  const internals = createRequire(createRequire(import.meta.url).resolve('fengari'));
  // (lapi.js's lua_next calls it through the module object: ltable.luaH_next)
  const ltable = internals('./ltable.js') as {
    luaH_next(L: { stack: TValue[] }, t: unknown, keyI: number): boolean;
    luaH_new(L: { ci: CallInfo }): object;
  };
  const { LUA_TNUMINT } = internals('./defs.js').constant_types as { LUA_TNUMINT: number };
  const next = ltable.luaH_next;
  ltable.luaH_next = (L, t, keyI) => {
    const more = next(L, t, keyI);
    if (more) {
      const k = L.stack[keyI]!;
      if (k.type === LUA_TNUMINT) k.setfltvalue(k.value as number);
    }
    return more;
  };
  // (lvm.js's OP_NEWTABLE calls it through the module object too, the instruction just read)
  const { CIST_LUA } = internals('./lstate.js') as { CIST_LUA: number };
  const { OP_NEWTABLE } = (internals('./lopcodes.js') as { OpCodesI: { OP_NEWTABLE: number } }).OpCodesI;
  const luaH_new = ltable.luaH_new;
  ltable.luaH_new = (L) => {
    const t = luaH_new(L);
    const ci = L.ci;
    if (ci && ci.callstatus & CIST_LUA && ci.l_code) {
      const ins = ci.l_code[ci.l_savedpc - 1];
      if (ins && ins.opcode === OP_NEWTABLE && (ins.B !== 0 || ins.C !== 0)) presizes.set(t, [fb2int(ins.B), fb2int(ins.C)]);
    }
    return t;
  };
}
