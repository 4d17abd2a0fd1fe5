// fengari (0.1.5) keys a string by its bytes in hex digits without padding (lstring.js's
// luaS_hash: "|" then each byte's toString(16)), so that two strings whose bytes below 0x10 line
// up differently get the same key: '\1\0' and '\16' are one table key, compare equal with < and
// ==, and a script's constant '\6\1' is read as an earlier 'a' (0x61) by the parser. That key is
// every string's hash (table keys, the parser's constants, string comparison), so binary strings
// (cmsgpack, struct, any byte string an argument brings) could turn into others. Here a string's
// key is its bytes in two hex digits each: the same key as before for every string of bytes from
// 0x10 (ASCII text, the reserved words llex.js keys the same way), a distinct key for each
// distinct byte string, and the same order (l_strcmp compares these keys: byte order).

import { createRequire } from 'node:module';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let patched = false;

/**
 * Gives fengari's strings their padded keys (once; call after fengari is loaded, before scripts
 * run: a string made earlier keeps the key it had, the same one for bytes from 0x10).
 */
export function padStringHashes(): void {
  if (patched) return;
  patched = true;
  const internals = createRequire(createRequire(import.meta.url).resolve('fengari'));
  const { TString } = internals('./lstring.js') as { TString: { prototype: object } };
  // TString's constructor sets this.hash = null and luaS_hashlongstr fills it when null: an
  // accessor on the prototype takes both, and is never null
  Object.defineProperty(TString.prototype, 'hash', {
    configurable: true,
    get(this: { padded?: string | null; realstring: Uint8Array }): string {
      let h = this.padded;
      if (h === undefined || h === null) {
        const s = this.realstring;
        h = '|';
        for (let i = 0; i < s.length; i++) h += HEX[s[i]!];
        this.padded = h;
      }
      return h;
    },
    set(this: { padded?: string | null }, v: string | null) {
      this.padded = v;
    },
  });
}
