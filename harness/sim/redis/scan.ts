// The cursor and options of HSCAN, SSCAN and ZSCAN as redis-server 7.0 checks them
// (parseScanCursorOrReply, scanGenericCommand). The simulated collections answer a whole scan
// in one call, cursor 0, as redis-server does for its small encodings: a full iteration returns
// every element exactly once, and every element present throughout an iteration at least once.

import { globMatch, parseLL, validCursor } from './commands.ts';
import type { Ctx } from './context.ts';
import type { Value } from './keyspace.ts';
import { array, bulk, bulks, error, NOT_INTEGER, SYNTAX, WRONGTYPE, type Reply } from './reply.ts';

const EMPTY_SCAN: Reply = array([bulk('0'), array([])]);

/**
 * HSCAN/SSCAN/ZSCAN key cursor [MATCH pattern] [COUNT n]: the cursor first, then the key (absent:
 * an empty scan, options unread), its type, then the options. `elements` gives the value's
 * elements, each as the words the reply holds for it (field and value, member and score ...),
 * the first being what MATCH looks at.
 */
export function scanCollection<T extends Value['type']>(
  ctx: Ctx,
  argv: string[],
  type: T,
  elements: (v: Extract<Value, { type: T }>) => string[][],
): Reply {
  if (!validCursor(argv[2])) return error('ERR invalid cursor');
  const v = ctx.db.get(argv[1]);
  if (v === undefined) return EMPTY_SCAN;
  if (v.type !== type) return WRONGTYPE;
  let pattern: string | undefined;
  for (let i = 3; i < argv.length; ) {
    const o = argv[i].toLowerCase();
    const left = argv.length - i;
    if (o === 'count' && left >= 2) {
      const n = parseLL(argv[i + 1]);
      if (n === undefined) return NOT_INTEGER;
      if (n < 1) return SYNTAX;
      i += 2;
    } else if (o === 'match' && left >= 2) {
      pattern = argv[i + 1] === '*' ? undefined : argv[i + 1];
      i += 2;
    } else return SYNTAX;
  }
  const out: string[] = [];
  for (const words of elements(v as Extract<Value, { type: T }>)) if (pattern === undefined || globMatch(pattern, words[0])) out.push(...words);
  return array([bulk('0'), bulks(out)]);
}
