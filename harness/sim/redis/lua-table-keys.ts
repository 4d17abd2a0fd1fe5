// fengari (Lua 5.3) stores a table key that is a number with an integral value in the 32-bit
// integer range as an integer, and next() (so pairs) gives that integer back: arithmetic on two
// such keys, their negation and math.abs then wrap at 32 bits, where Lua 5.1 (every number a
// double) does not: for k = 2^30, k + k is -2^31; for k = -2^31, -k and math.abs(k) are -2^31.
// Here next() gives every number key as a float (the stack slot it writes, not the table's key:
// lookups are unchanged, a float key finds the integer one), as Redis's Lua 5.1 has it.
//
// And the sizes a table constructor gives the table it makes: Lua 5.1 makes {a = 1, b = 2, 3}
// with room for 1 array item and 2 keys in its hash part (OP_NEWTABLE's B and C), which decides
// the order its next() yields the keys in; fengari ignores them. They are kept here (tableShape)
// for the model of 5.1's table layout in lua-libs.ts (order51), as cjson.encode and
// cmsgpack.pack use it; and so is the resize of the array part 5.1's OP_SETLIST makes when a
// constructor's last item is a call or ... ({x = 1, f()}: to the number of items), with the
// number of keys the table had then.

import { createRequire } from 'node:module';

let patched = false;

/** what Lua 5.1 did to a constructor's table's layout besides adding keys */
export interface TableShape {
  /** the array and hash sizes OP_NEWTABLE gave it */
  presize: [number, number];
  /** OP_SETLIST's array resizes: [the number of keys the table had, the size] */
  resizes: [number, number][];
}

/**
 * A table's shape, on the table itself (fengari's Table): every table gets the property when it is
 * made (undefined unless a constructor made it), so tables keep one hidden class; a WeakMap entry
 * per constructor's table cost more, at its making and at every collection.
 */
const SHAPE = 'shape51';
type Shaped = { [SHAPE]?: TableShape };

/** what a constructor made of this table (lua_topointer's table), if one made it */
export function tableShape(t: unknown): TableShape | undefined {
  return typeof t === 'object' && t !== null ? (t as Shaped)[SHAPE] : undefined;
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
    luaH_setint(t: { strong: Map<unknown, unknown> }, key: number, value: unknown): void;
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
    const t = luaH_new(L) as Shaped;
    let shape: TableShape | undefined;
    const ci = L.ci;
    if (ci && ci.callstatus & CIST_LUA && ci.l_code) {
      const ins = ci.l_code[ci.l_savedpc - 1];
      if (ins && ins.opcode === OP_NEWTABLE) shape = { presize: [fb2int(ins.B), fb2int(ins.C)], resizes: [] };
    }
    t[SHAPE] = shape;
    return t;
  };
  // luaH_setint on a constructor's table is OP_SETLIST's (lua_rawseti's tables are the API's): it
  // sets items last to first, and 5.1 first resizes the array to the last when it is larger
  const setint = ltable.luaH_setint;
  ltable.luaH_setint = (t, key, value) => {
    const shape = (t as Shaped)[SHAPE];
    if (shape) {
      const size = shape.resizes.length ? shape.resizes[shape.resizes.length - 1]![1] : shape.presize[0];
      if (key > size) shape.resizes.push([t.strong.size, key]);
    }
    setint(t, key, value);
  };
}
