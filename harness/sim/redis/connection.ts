// A real ioredis client talking to a SimRedis with no socket: an ioredis `Connector` (the
// undocumented option ioredis 5 reads in its constructor) that hands ioredis an in-memory
// Duplex. The Duplex parses the RESP requests ioredis writes, gives each command to a
// pluggable delivery policy, and writes back the encoded replies and pushes.
//
// The policy decides when a command executes: `immediatePolicy` runs it at once; a
// scheduler can instead queue commands per link and execute them when it chooses, then
// call `link.reply(engine.exec(link.conn, argv))` (or nothing when the engine answered
// 'blocked' / 'pushed-only': those replies come through the engine's pushes). Replies reach
// the client on a later process.nextTick, never through a timer.
//
// Replies are not encoded to RESP for ioredis to parse back: the socket's readable side carries
// them as objects (SimReplies), and ioredis's reply parser (redis-parser, which it feeds every
// chunk its socket reads) is taught to hand each one on as the value it would have parsed
// (repliesOf below). What ioredis does with a reply from there on is unchanged.

import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import type { RedisOptions } from 'ioredis';
import { bytesBuffer, bytesText, NON_ASCII, textBytes } from './bytes.ts';
import type { SimRedis } from './engine.ts';
import { error, type Reply } from './reply.ts';
import { ProtocolError, RequestParser } from './resp.ts';

/** marks a SimReplies chunk, whichever copy of this module made it (Symbol.for: one per process) */
const SIM_REPLIES = Symbol.for('redis-job-chaos.sim-replies');

/** Replies to one client, in order, as one chunk of its socket (what one TCP read would have carried). */
export class SimReplies {
  readonly [SIM_REPLIES] = true;
  constructor(readonly replies: readonly Reply[]) {}
}

/** the few things of redis-parser's JavascriptRedisParser used here (redis-parser 3.0.0, ioredis's own copy) */
interface ReplyParserLike {
  optionStringNumbers: boolean;
  buffer: Buffer | null;
  returnReply(reply: unknown): void;
  returnError(err: Error): void;
  execute(chunk: Buffer): void;
}

/** the few things of ioredis's Command used here (ioredis 5) */
interface CommandLike {
  name: string;
  args: unknown[];
  /** an argument is a Buffer (Command#stringifyArguments) */
  bufferMode?: boolean;
  toWritable(socket: unknown): string | Buffer;
  /** 'utf8' for a command called by its name, null for its *Buffer form (getBuffer, evalshaBuffer, callBuffer, and the EXEC of a MULTI pipeline) */
  replyEncoding: BufferEncoding | null | undefined;
  /** set when a pipeline queued it (Pipeline#sendCommand) */
  pipelineIndex?: number;
  transformReply(result: unknown): unknown;
}

/** the few things of ioredis's Pipeline used here (ioredis 5) */
interface PipelineLike {
  _queue: CommandLike[];
  fillResult(value: unknown[], position: number): void;
}

/** the reply a SimReplies chunk is handing on to ioredis now, and the value made of it (see teachReplyParser) */
let inFlight: { parser: ReplyParserLike; reply: Reply; value: unknown; text: boolean } | null = null;
/** while Pipeline#fillResult hands an EXEC reply's items on: the items (arrays) with no Buffer in them, for commands called by name */
let textItems: Set<unknown> | null = null;

/** whether a value has a Buffer in it */
function hasBuffer(v: unknown): boolean {
  if (v instanceof Buffer) return true;
  if (Array.isArray(v)) for (const x of v) if (hasBuffer(x)) return true;
  return false;
}

/** Buffers valueOf made (a message push's items), counted while it makes a reply's value */
let buffersMade = 0;

/** a simulated socket's staging of a command (SimSocket), whichever copy of this module made it */
const SIM_STAGE = Symbol.for('redis-job-chaos.sim-stage');
interface Stager {
  [SIM_STAGE](argv: string[]): string;
}
/**
 * A staged command's marker: a NUL (no RESP a client writes begins with one), then a char that
 * numbers it among the commands staged on its socket (modulo MARKS); made once, written as they are.
 */
const MARKS = 0x4000;
const MARK_BASE = 0x100;
let markers: string[] | undefined;
const markerOf = (n: number): string => (markers ??= Array.from({ length: MARKS }, (_, i) => `\u0000${String.fromCharCode(MARK_BASE + i)}`))[n % MARKS]!;

/** the values of pipelines' EXEC replies made with texts for their ASCII strings (see execValueOf) */
const execValues = new WeakSet<unknown[]>();

/** top-level pushes whose items after the first ioredis hands on as they came (messageBuffer, pmessageBuffer) */
const MESSAGE_KINDS = new Set(['message', 'pmessage', 'smessage']);

/**
 * Teaches the redis-parser that ioredis loads to read a SimReplies chunk: each reply becomes the
 * value ioredis would have made of its RESP bytes. ioredis's parser (returnBuffers) makes a Buffer
 * of every status and bulk string, an Error of an error (its text read as UTF-8), a number of an
 * integer (a string with stringNumbers); a command called by its name then turns each Buffer into
 * its UTF-8 text (Command#transformReply, replyEncoding 'utf8') before anything sees it, while one
 * called in its *Buffer form (replyEncoding null) keeps the Buffers.
 *
 * So a status or bulk (a byte string, bytes.ts) is handed on as its UTF-8 text (nothing to convert
 * when ASCII), and Command#transformReply, when it transforms that very value for a *Buffer
 * command, remakes it from the reply with Buffers (the value and the command meet only there:
 * ioredis matches a reply to its command between the parser and transformReply, synchronously).
 * The items of a pub/sub message push are Buffers from the start: ioredis emits them as they are
 * (messageBuffer) and as their toString() (message). A top-level error goes to returnError, as
 * the parser sends it. Any other chunk is parsed as before.
 */
function teachReplyParser(): void {
  const fromIoredis = createRequire(createRequire(import.meta.url).resolve('ioredis'));
  const fromParser = createRequire(fromIoredis.resolve('redis-parser'));
  const Parser = fromIoredis('redis-parser') as { prototype: ReplyParserLike & { [SIM_REPLIES]?: true } };
  const Command = (fromIoredis('./Command') as { default: { prototype: CommandLike; checkFlag(flag: string, name: string): boolean } }).default;
  const { ReplyError } = fromParser('redis-errors') as { ReplyError: new (message: string) => Error };
  const proto = Parser.prototype;
  if (proto[SIM_REPLIES]) return;
  const parse = proto.execute;
  /** the value of r: strings as UTF-8 text, or (buffers) status and bulk strings as Buffers */
  const valueOf = (p: ReplyParserLike, r: Reply, buffers: boolean): unknown => {
    switch (r.t) {
      case 'status':
      case 'bulk':
        if (r.v === null) return null;
        if (buffers) {
          buffersMade++;
          return bytesBuffer(r.v);
        }
        return bytesText(r.v);
      case 'error':
        return new ReplyError(bytesText(r.v));
      case 'int':
        return p.optionStringNumbers ? String(r.v) : r.v;
      case 'array': {
        if (r.v === null) return null;
        const n = r.v.length;
        const out = new Array<unknown>(n);
        const message = !buffers && n >= 3 && r.v[0]!.t === 'bulk' && MESSAGE_KINDS.has(r.v[0]!.v!);
        for (let i = 0; i < n; i++) out[i] = valueOf(p, r.v[i]!, buffers || (message && i > 0));
        return out;
      }
    }
  };
  /**
   * The value of a pipeline's EXEC reply (a MULTI pipeline's EXEC is a *Buffer command): the
   * status and bulk strings that are ASCII as their text, which is their bytes, the others as
   * Buffers (marked in execValues). Each item goes on to the command queued for it
   * (Pipeline#fillResult), whose transformReply turns a Buffer into its UTF-8 text: the text was
   * made here at once. A command in its *Buffer form keeps Buffers: fillResult, taught below,
   * makes the Buffers of its item's texts first.
   */
  const execValueOf = (r: Reply): unknown => {
    switch (r.t) {
      case 'status':
      case 'bulk':
        return r.v === null ? null : NON_ASCII.test(r.v) ? bytesBuffer(r.v) : r.v;
      case 'error':
        return new ReplyError(bytesText(r.v));
      case 'int':
        return r.v;
      case 'array': {
        if (r.v === null) return null;
        const n = r.v.length;
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = execValueOf(r.v[i]!);
        return out;
      }
    }
  };
  /** an EXEC value's item as the Buffers valueOf would have made of it: its texts (ASCII: their bytes) as Buffers */
  const buffersOf = (v: unknown): unknown => {
    if (typeof v === 'string') return bytesBuffer(v);
    if (Array.isArray(v)) return v.map(buffersOf);
    return v;
  };
  const Pipeline = (fromIoredis('./Pipeline') as { default: { prototype: PipelineLike } }).default;
  const fillResult = Pipeline.prototype.fillResult;
  Pipeline.prototype.fillResult = function (this: PipelineLike, value: unknown[], position: number): void {
    const items = value[1];
    if (this._queue[position]!.name === 'exec' && Array.isArray(items) && execValues.has(items)) {
      const n = items.length;
      let text: Set<unknown> | null = null;
      for (let i = 0; i < n; i++) {
        const item = items[i];
        if (item instanceof Error) continue;
        const cmd = this._queue[position - (n - i)];
        if (cmd === undefined) continue;
        if (!cmd.replyEncoding) items[i] = buffersOf(item);
        else if (cmd.replyEncoding === 'utf8' && Array.isArray(item) && !hasBuffer(item)) (text ??= new Set()).add(item);
      }
      const outer = textItems;
      textItems = text;
      try {
        return fillResult.call(this, value, position);
      } finally {
        textItems = outer;
      }
    }
    return fillResult.call(this, value, position);
  };
  proto.execute = function (this: ReplyParserLike, chunk: Buffer | SimReplies): void {
    if ((chunk as Partial<SimReplies>)[SIM_REPLIES] !== true) return parse.call(this, chunk as Buffer);
    // a simulated socket carries only SimReplies: nothing half-parsed can be waiting before them
    if (this.buffer !== null) throw new Error('a SimReplies chunk after RESP bytes on one connection');
    for (const r of (chunk as SimReplies).replies) {
      buffersMade = 0;
      const value = valueOf(this, r, false);
      if (r.t === 'error') {
        this.returnError(value as Error);
        continue;
      }
      inFlight = { parser: this, reply: r, value, text: buffersMade === 0 };
      try {
        this.returnReply(value);
      } finally {
        inFlight = null;
      }
    }
  };
  const transformReply = Command.prototype.transformReply;
  const replyTransformers = (Command as unknown as { _transformer: { reply: Record<string, ((r: unknown) => unknown) | undefined> } })._transformer.reply;
  Command.prototype.transformReply = function (this: CommandLike, result: unknown): unknown {
    if (this.replyEncoding === 'utf8' && ((inFlight !== null && result === inFlight.value && inFlight.text) || (textItems !== null && textItems.has(result)))) {
      // a value of texts and numbers only (no Buffer in it), fresh: what convertBufferToString
      // would make of it is a copy of it; the command's reply transformer gets it as it is
      const transformer = replyTransformers[this.name];
      return transformer ? transformer(result) : result;
    }
    if (!this.replyEncoding && inFlight !== null && result === inFlight.value) {
      // (with stringNumbers an integer would be a string too, and read back as bytes: not then)
      if (this.name === 'exec' && this.pipelineIndex !== undefined && inFlight.reply.t === 'array' && inFlight.reply.v !== null && !inFlight.parser.optionStringNumbers) {
        result = execValueOf(inFlight.reply);
        execValues.add(result as unknown[]);
      } else result = valueOf(inFlight.parser, inFlight.reply, true);
    }
    return transformReply.call(this, result);
  };
  // a command written to a simulated socket: its argv staged on the socket, a marker written (see SimSocket's stage)
  const toWritable = Command.prototype.toWritable;
  Command.prototype.toWritable = function (this: CommandLike, socket: unknown): string | Buffer {
    const stage = (socket as Partial<Stager> | null | undefined)?.[SIM_STAGE];
    if (stage !== undefined) {
      const argv = argvOf(this);
      if (argv !== undefined) return stage.call(socket, argv);
    }
    return toWritable.call(this, socket);
  };
  // Command.checkFlag (a name lowercased and looked up, ~6 times a command) answers what it
  // answered before for the same flag and name: its flag lists are fixed
  const checkFlag = Command.checkFlag;
  const flagged = new Map<string, Map<string, boolean>>();
  Command.checkFlag = function (this: unknown, flag: string, name: string): boolean {
    let byName = flagged.get(flag);
    let answer = byName?.get(name);
    if (answer === undefined) {
      answer = checkFlag.call(this, flag, name);
      if (!byName) flagged.set(flag, (byName = new Map()));
      byName.set(name, answer);
    }
    return answer;
  };
  proto[SIM_REPLIES] = true;
}

/**
 * The argv Redis reads off the RESP a command writes (Command#toWritable): its name and each
 * argument a string's UTF-8 bytes or (an argument of a command with Buffers) a Buffer's bytes, as
 * byte strings. Undefined for anything else (an argument made a Buffer after the command was
 * built, with no Buffer mode): written as RESP then.
 */
function argvOf(cmd: CommandLike): string[] | undefined {
  const args = cmd.args;
  const n = args.length;
  if (typeof cmd.name !== 'string') return undefined;
  const argv = new Array<string>(n + 1);
  argv[0] = utf8Bytes(cmd.name);
  for (let i = 0; i < n; i++) {
    const a = args[i];
    if (typeof a === 'string') argv[i + 1] = utf8Bytes(a);
    else if (cmd.bufferMode === true && a instanceof Buffer) argv[i + 1] = a.toString('latin1');
    else return undefined;
  }
  return argv;
}

/** textBytes, with a short string's chars looked at in a loop (cheaper than the regular expression) */
function utf8Bytes(text: string): string {
  const n = text.length;
  if (n > 64) return textBytes(text);
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.from(text, 'utf8').toString('latin1');
  return text;
}

teachReplyParser();

/** one client connection as the server side sees it */
export interface SimLink {
  /** the engine's connection id */
  readonly conn: number;
  /**
   * send a reply (or push) to the client, in order; unless `keepOpen`, a reply after the engine
   * dropped the connection (QUIT) is the last and closes it (a policy that times closes itself passes keepOpen)
   */
  reply(r: Reply, keepOpen?: boolean): void;
  /** a socket reset: the client sees 'error' (ECONNRESET) then 'close'; the engine drops the connection */
  cut(err?: Error): void;
  readonly isClosed: boolean;
}

export interface DeliveryPolicy {
  /** a command arrived on link */
  deliver(link: SimLink, argv: string[]): void;
  /** a link was opened (a client connected, or reconnected) */
  opened?(link: SimLink): void;
  /**
   * a link was closed, by either side; returning true keeps its engine connection (the server
   * side) open: the policy still delivers what the client sent before, then disconnects it from
   * the engine itself (a closed client's bytes already in transit still reach Redis)
   */
  closed?(link: SimLink): boolean | void;
}

/** execute every command the moment it arrives */
export function immediatePolicy(engine: SimRedis): DeliveryPolicy {
  return {
    deliver(link, argv) {
      const r = engine.exec(link.conn, argv);
      if (typeof r === 'object') link.reply(r);
    },
  };
}

const resetError = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });

/** the in-memory socket ioredis gets instead of a net.Socket */
export class SimSocket extends Duplex implements SimLink {
  // what ioredis reads off a net.Socket
  readonly connecting = false;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 6379;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 0;

  private readonly parser = new RequestParser();
  /** the commands ioredis staged here, not yet written, in the order staged, from stagedHead on (their numbers from stagedFirst on) */
  private staged: string[][] = [];
  private stagedHead = 0;
  private stagedFirst = 0;
  private outbox: Reply[] = [];
  private flushScheduled = false;
  private ending = false;
  private gone = false;

  constructor(
    private readonly engine: SimRedis,
    private readonly policy: DeliveryPolicy,
    readonly conn: number,
    private readonly forget: (s: SimSocket) => void,
  ) {
    // strings as ioredis writes them: the parser reads a command off the string, no bytes made
    // (a command with a Buffer argument comes as one Buffer: its bytes);
    // replies as objects (SimReplies), read by ioredis's parser as taught above
    super({ allowHalfOpen: false, decodeStrings: false, readableObjectMode: true });
  }

  get isClosed(): boolean {
    return this.gone || this.destroyed;
  }

  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  /** net.Socket's: end, then go once what was written is through (node-redis's end) */
  destroySoon(): void {
    if (this.writable) this.once('finish', () => this.destroy()).end();
    else this.destroy();
  }

  reply(r: Reply, keepOpen = false): void {
    if (this.isClosed || this.ending) return;
    this.outbox.push(r);
    // QUIT (or anything else that ended the connection on the server): close after this reply
    if (!keepOpen && !this.engine.isConnected(this.conn)) this.ending = true;
    this.scheduleFlush();
  }

  /** the server side closed (a FIN): the replies sent so far arrive, then the client reads the end */
  hangUp(): void {
    if (this.isClosed || this.ending) return;
    this.ending = true;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  cut(err: Error = resetError()): void {
    if (this.isClosed) return;
    this.release();
    this.destroy(err);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.destroyed) return;
    if (this.outbox.length) {
      const replies = this.outbox;
      this.outbox = [];
      this.push(new SimReplies(replies));
      // the end after a last reply (QUIT's, or a network's hang-up in the step that delivered a
      // reply) is read in a turn of its own, as a socket reads its EOF in an I/O callback of its
      // own: what the reply set off (its promise callbacks) runs first. (SimNetwork.settle also
      // defers a hang-up right after a delivered reply by a step: the two overlap there.)
      if (this.ending) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
        return;
      }
    }
    if (this.ending) {
      this.release();
      this.push(null);
    }
  }

  /** the client side lets go, once: the policy told, the engine connection dropped unless the policy keeps it */
  private release(): void {
    if (this.gone) return;
    this.gone = true;
    this.forget(this);
    if (this.policy.closed?.(this) !== true) this.engine.disconnect(this.conn);
  }

  override _read(): void {
    // replies are pushed as they are produced
  }

  /**
   * ioredis's command (Command#toWritable, taught above) staged for this socket: its argv, kept
   * here until ioredis writes the marker returned (at once, or with the rest of its pipeline), so
   * that it arrives as the argv Redis would have read off its RESP, with no RESP made and read.
   */
  [SIM_STAGE](argv: string[]): string {
    const n = this.stagedFirst + this.staged.length - this.stagedHead;
    this.staged.push(argv);
    return markerOf(n);
  }

  /** the staged commands a chunk of markers stands for, in order (ioredis writes them in the order it staged them) */
  private unstage(chunk: string): string[][] {
    const count = chunk.length >> 1;
    const out: string[][] = new Array(count);
    for (let i = 0; i < count; i++) {
      const mark = chunk.charCodeAt(2 * i + 1) - MARK_BASE;
      if (chunk.charCodeAt(2 * i) !== 0 || this.stagedHead >= this.staged.length || mark !== this.stagedFirst % MARKS) {
        throw new Error('a command written to a simulated socket out of the order ioredis staged it in');
      }
      out[i] = this.staged[this.stagedHead]!;
      this.staged[this.stagedHead++] = undefined as unknown as string[];
      this.stagedFirst++;
    }
    if (this.stagedHead === this.staged.length) {
      this.staged.length = 0;
      this.stagedHead = 0;
    }
    return out;
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.gone) return done();
    let commands: string[][];
    try {
      // (a client that stages nothing may write anything, a NUL first included)
      if (this.stagedHead === this.staged.length) commands = this.parser.feed(chunk);
      else if (typeof chunk === 'string' && chunk.charCodeAt(0) === 0) commands = this.unstage(chunk);
      else if (typeof chunk !== 'string' && chunk[0] === 0) throw new Error('staged commands written among RESP bytes (a pipeline with a command ioredis wrote as RESP)');
      else commands = this.parser.feed(chunk);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.reply(error(`ERR ${err.message}`));
      this.ending = true;
      return done();
    }
    for (const argv of commands) {
      if (this.gone || this.ending) break;
      this.policy.deliver(this, argv);
    }
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    // the client closed its side (ioredis disconnect()): the server closes too
    this.release();
    this.push(null);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.release();
    done(err);
  }
}

/** the engine's side of every in-memory connection: routes pushes, cuts links the engine drops */
export class SimTransport {
  private readonly links = new Map<number, SimSocket>();

  constructor(
    readonly engine: SimRedis,
    readonly policy: DeliveryPolicy = immediatePolicy(engine),
  ) {
    const previousPush = engine.onPush;
    const previousDrop = engine.onDrop;
    engine.onPush = (conn, r) => {
      const link = this.links.get(conn);
      if (link) link.reply(r);
      else previousPush(conn, r);
    };
    engine.onDrop = (conn) => {
      const link = this.links.get(conn);
      if (link) link.cut();
      else previousDrop(conn);
    };
  }

  /** a new connection: the socket ioredis reads and writes */
  open(): SimSocket {
    const conn = this.engine.connect();
    const socket = new SimSocket(this.engine, this.policy, conn, (s) => this.links.delete(s.conn));
    this.links.set(conn, socket);
    this.policy.opened?.(socket);
    return socket;
  }

  /** the open links, by engine connection id */
  openLinks(): SimLink[] {
    return [...this.links.values()];
  }

  /** ioredis options that make a client connect through this transport */
  redisOptions(): Pick<RedisOptions, 'Connector'> {
    return { Connector: connectorOf(() => this.open()) };
  }
}

/**
 * An ioredis Connector class (the shape of ioredis's AbstractConnector, without its disconnect
 * timer) whose connections are the sockets `open` returns. Like net.connect, a connect never
 * rejects for a refused connection: `open` returns a socket that fails afterwards instead (a
 * rejected connect would end the ioredis client for good, a failing socket makes it retry).
 */
export function connectorOf(open: () => Duplex): RedisOptions['Connector'] {
  class SimConnector {
    connecting = false;
    stream: Duplex | undefined;
    firstError: Error | undefined;
    constructor(_options: unknown) {}
    check(): boolean {
      return true;
    }
    connect(): Promise<Duplex> {
      this.connecting = true;
      return new Promise((resolve, reject) => {
        process.nextTick(() => {
          if (!this.connecting) {
            reject(new Error('Connection is closed.'));
            return;
          }
          const s = open();
          s.once('error', (err: Error) => (this.firstError = err));
          this.stream = s;
          resolve(s);
        });
      });
    }
    disconnect(): void {
      this.connecting = false;
      this.stream?.end();
    }
  }
  return SimConnector as unknown as RedisOptions['Connector'];
}

/** ioredis options for a client of engine: `new Redis({ ...simConnectorFor(engine), lazyConnect ... })` */
export function simConnectorFor(engine: SimRedis, policy?: DeliveryPolicy): Pick<RedisOptions, 'Connector'> & { transport: SimTransport } {
  const transport = new SimTransport(engine, policy ?? immediatePolicy(engine));
  return { ...transport.redisOptions(), transport };
}
