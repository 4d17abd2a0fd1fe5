// Replies of the simulated Redis, as RESP2 puts them on the wire, and their encoder. Every
// string in a reply is a byte string (bytes.ts).

export type Reply =
  | { t: 'status'; v: string } // +OK
  | { t: 'error'; v: string } // -ERR ... (full text after '-')
  | { t: 'int'; v: number }
  | { t: 'bulk'; v: string | null } // null = nil bulk
  | { t: 'array'; v: Reply[] | null }; // null = nil array

export const OK: Reply = { t: 'status', v: 'OK' };
export const QUEUED: Reply = { t: 'status', v: 'QUEUED' };
export const NIL: Reply = { t: 'bulk', v: null };
export const NIL_ARRAY: Reply = { t: 'array', v: null };
export const EMPTY_ARRAY: Reply = { t: 'array', v: [] };
export const ZERO: Reply = { t: 'int', v: 0 };
export const ONE: Reply = { t: 'int', v: 1 };

export const status = (v: string): Reply => ({ t: 'status', v });
export const error = (v: string): Reply => ({ t: 'error', v });
export const int = (v: number): Reply => ({ t: 'int', v });
export const bulk = (v: string | null): Reply => ({ t: 'bulk', v });
export const array = (v: Reply[] | null): Reply => ({ t: 'array', v });
export const bulks = (vs: readonly string[]): Reply => ({ t: 'array', v: vs.map((s) => ({ t: 'bulk', v: s })) });

export const WRONGTYPE = error('WRONGTYPE Operation against a key holding the wrong kind of value');
export const SYNTAX = error('ERR syntax error');
export const NOT_INTEGER = error('ERR value is not an integer or out of range');

/**
 * An error reply formatted as redis-server's addReplyErrorFormat formats one: each value a C
 * string (%s stops at its first NUL byte), and CR and LF anywhere made spaces (a client's bytes
 * may hold them; the reply must stay one line).
 */
export function errorf(parts: TemplateStringsArray, ...values: string[]): Reply {
  let text = parts[0]!;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const nul = v.indexOf('\0');
    text += (nul < 0 ? v : v.slice(0, nul)) + parts[i + 1]!;
  }
  return error(text.replace(/[\r\n]/g, ' '));
}

export const isError = (r: Reply): r is { t: 'error'; v: string } => r.t === 'error';

/** RESP2 bytes of one reply, as a byte string (its length is the reply's size in bytes). */
export function encodeReply(r: Reply): string {
  // concatenated, not joined from an array: V8 builds the rope without copying, and the
  // socket's Buffer.from flattens it once
  switch (r.t) {
    case 'status':
      return '+' + r.v + '\r\n';
    case 'error':
      return '-' + r.v + '\r\n';
    case 'int':
      return ':' + String(r.v) + '\r\n';
    case 'bulk':
      return r.v === null ? '$-1\r\n' : '$' + String(r.v.length) + '\r\n' + r.v + '\r\n';
    case 'array': {
      if (r.v === null) return '*-1\r\n';
      let out = '*' + String(r.v.length) + '\r\n';
      for (const e of r.v) out += encodeReply(e);
      return out;
    }
  }
}

/** Readable one-line form, for test messages. */
export function showReply(r: Reply | 'blocked' | 'pushed-only'): string {
  if (typeof r === 'string') return r;
  switch (r.t) {
    case 'status':
      return `+${r.v}`;
    case 'error':
      return `-${r.v}`;
    case 'int':
      return `:${r.v}`;
    case 'bulk':
      return r.v === null ? 'nil' : JSON.stringify(r.v);
    case 'array':
      return r.v === null ? 'nil[]' : `[${r.v.map(showReply).join(', ')}]`;
  }
}
