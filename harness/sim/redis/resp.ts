// Incremental RESP parsers: requests (bytes a client writes → argv arrays, as redis-server
// reads them: multibulk or inline, split anywhere, pipelined) and replies (bytes a server
// writes → Reply, for the raw client of the differential test).
// Payloads, status and error lines are read as byte strings (bytes.ts); a JS string a client
// writes is text, its bytes its UTF-8.

import { NON_ASCII } from './bytes.ts';
import type { Reply } from './reply.ts';

export class ProtocolError extends Error {}

const CR = 13;
const LF = 10;

/** Shared buffering: unconsumed bytes, and a cursor that a parse attempt may roll back. */
abstract class Incremental<T> {
  protected buf: Buffer = Buffer.alloc(0);
  protected pos = 0;

  /** Feeds a chunk (a string is text: its bytes are its UTF-8); returns every message now complete, in order. */
  feed(chunk: Buffer | string): T[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), bytes]) : bytes;
    this.pos = 0;
    const out: T[] = [];
    for (;;) {
      const start = this.pos;
      const msg = this.parseOne();
      if (msg === undefined) {
        this.pos = start;
        break;
      }
      out.push(msg);
    }
    return out;
  }

  /** One message from pos, or undefined when incomplete (pos may be anywhere then). */
  protected abstract parseOne(): T | undefined;

  /** The line from pos up to CRLF (excluded), advancing past it; undefined if incomplete. */
  protected line(): string | undefined {
    const end = this.buf.indexOf(LF, this.pos);
    if (end < 0) return undefined;
    const stop = end > this.pos && this.buf[end - 1] === CR ? end - 1 : end;
    const s = this.buf.toString('latin1', this.pos, stop);
    this.pos = end + 1;
    return s;
  }

  /** A length-prefixed payload of n bytes plus CRLF, as a byte string; undefined if incomplete. */
  protected payload(n: number): string | undefined {
    if (this.buf.length - this.pos < n + 2) return undefined;
    const s = this.buf.toString('latin1', this.pos, this.pos + n);
    if (this.buf[this.pos + n] !== CR || this.buf[this.pos + n + 1] !== LF) throw new ProtocolError("Protocol error: expected '\\r\\n'");
    this.pos += n + 2;
    return s;
  }
}


/**
 * Whole multibulk commands read straight off a string, as the byte parser reads them when every
 * character is one byte (ASCII); undefined for anything else (a command cut short, an inline
 * command, a malformed one, "*0"): the byte parser then reads the chunk, errors and all.
 */
function multibulksOf(s: string): string[][] | undefined {
  const out: string[][] = [];
  const end = s.length;
  let pos = 0;
  while (pos < end) {
    if (s.charCodeAt(pos) !== 0x2a /* * */) return undefined;
    let eol = s.indexOf('\r\n', pos);
    if (eol < 0) return undefined;
    const n = Number(s.slice(pos + 1, eol));
    if (!Number.isInteger(n) || n <= 0 || n > 1024 * 1024) return undefined;
    pos = eol + 2;
    const argv: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      if (pos >= end || s.charCodeAt(pos) !== 0x24 /* $ */) return undefined;
      eol = s.indexOf('\r\n', pos);
      if (eol < 0) return undefined;
      const size = Number(s.slice(pos + 1, eol));
      if (!Number.isInteger(size) || size < 0 || size > 512 * 1024 * 1024) return undefined;
      pos = eol + 2;
      if (end - pos < size + 2 || s.charCodeAt(pos + size) !== 13 || s.charCodeAt(pos + size + 1) !== 10) return undefined;
      argv[i] = s.slice(pos, pos + size);
      pos += size + 2;
    }
    out.push(argv);
  }
  return out;
}

/** Client → server: each message is one command's argv, as byte strings. */
export class RequestParser extends Incremental<string[]> {
  override feed(chunk: Buffer | string): string[][] {
    // what a client writes nearly always: whole commands in one ASCII string, nothing pending
    // (its chars are its bytes); text with other chars is read as its UTF-8 bytes
    if (typeof chunk === 'string' && this.pos >= this.buf.length && !NON_ASCII.test(chunk)) {
      const commands = multibulksOf(chunk);
      if (commands) return commands;
    }
    return super.feed(chunk);
  }

  protected parseOne(): string[] | undefined {
    if (this.pos >= this.buf.length) return undefined;
    if (this.buf[this.pos] !== 0x2a /* * */) return this.inline();
    const head = this.line();
    if (head === undefined) return undefined;
    const n = Number(head.slice(1));
    if (!Number.isInteger(n) || n > 1024 * 1024) throw new ProtocolError('Protocol error: invalid multibulk length');
    const argv: string[] = [];
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.buf.length) return undefined;
      if (this.buf[this.pos] !== 0x24 /* $ */) {
        throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(this.buf[this.pos])}'`);
      }
      const len = this.line();
      if (len === undefined) return undefined;
      const size = Number(len.slice(1));
      if (!Number.isInteger(size) || size < 0 || size > 512 * 1024 * 1024) throw new ProtocolError('Protocol error: invalid bulk length');
      const arg = this.payload(size);
      if (arg === undefined) return undefined;
      argv.push(arg);
    }
    // "*0" and "*-1" are skipped by redis-server: no command
    return n <= 0 ? this.parseOne() ?? undefined : argv;
  }

  private inline(): string[] | undefined {
    const text = this.line();
    if (text === undefined) return undefined;
    // (split at C's isspace bytes, as sdssplitargs; a byte string's other chars stay as they are)
    const argv = text.split(/[ \t\n\v\f\r]+/).filter((s) => s !== '');
    return argv.length === 0 ? this.parseOne() : argv;
  }
}

/** Server → client: each message is one reply. */
export class ReplyParser extends Incremental<Reply> {
  protected parseOne(): Reply | undefined {
    const head = this.line();
    if (head === undefined) return undefined;
    const kind = head[0];
    // (a status or error line's bytes, as a byte string like a bulk's)
    const rest = head.slice(1);
    switch (kind) {
      case '+':
        return { t: 'status', v: rest };
      case '-':
        return { t: 'error', v: rest };
      case ':':
        return { t: 'int', v: Number(rest) };
      case '$': {
        const n = Number(rest);
        if (n < 0) return { t: 'bulk', v: null };
        const v = this.payload(n);
        return v === undefined ? undefined : { t: 'bulk', v };
      }
      case '*': {
        const n = Number(rest);
        if (n < 0) return { t: 'array', v: null };
        const items: Reply[] = [];
        for (let i = 0; i < n; i++) {
          const r = this.parseOne();
          if (r === undefined) return undefined;
          items.push(r);
        }
        return { t: 'array', v: items };
      }
      default:
        throw new ProtocolError(`unexpected reply type ${JSON.stringify(kind)}`);
    }
  }
}

/** RESP2 request bytes of one command (what a client writes), as a byte string, from the byte strings of its arguments. */
export function encodeRequest(argv: readonly string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}
