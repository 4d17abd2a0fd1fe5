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

import { Duplex } from 'node:stream';
import type { RedisOptions } from 'ioredis';
import type { SimRedis } from './engine.ts';
import { encodeReply, error, type Reply } from './reply.ts';
import { ProtocolError, RequestParser } from './resp.ts';

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
  private outbox: string[] = [];
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
    super({ allowHalfOpen: false, decodeStrings: false });
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

  reply(r: Reply, keepOpen = false): void {
    if (this.isClosed || this.ending) return;
    this.outbox.push(encodeReply(r));
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
      const data = this.outbox.join('');
      this.outbox = [];
      this.push(Buffer.from(data, 'utf8'));
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

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.gone) return done();
    let commands: string[][];
    try {
      commands = this.parser.feed(chunk);
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
