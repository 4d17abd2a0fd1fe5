// fengari (Lua 5.3) stores a table key that is a number with an integral value in the 32-bit
// integer range as an integer, and next() (so pairs) gives that integer back: arithmetic on two
// such keys, their negation and math.abs then wrap at 32 bits, where Lua 5.1 (every number a
// double) does not: for k = 2^30, k + k is -2^31; for k = -2^31, -k and math.abs(k) are -2^31.
// Here next() gives every number key as a float (the stack slot it writes, not the table's key:
// lookups are unchanged, a float key finds the integer one), as Redis's Lua 5.1 has it.

import { createRequire } from 'node:module';

let patched = false;

interface TValue {
  type: number;
  value: unknown;
  setfltvalue(x: number): void;
}

/** next() yields number keys as floats (once; call after fengari is loaded) */
export function floatTableKeys(): void {
  if (patched) return;
  patched = true;
  const internals = createRequire(createRequire(import.meta.url).resolve('fengari'));
  // (lapi.js's lua_next calls it through the module object: ltable.luaH_next)
  const ltable = internals('./ltable.js') as { luaH_next(L: { stack: TValue[] }, t: unknown, keyI: number): boolean };
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
}
