// The simulation's network: every role's ioredis client talks to the in-process Redis through
// an in-memory socket (redis/connection.ts), and this module decides when each command reaches
// Redis and when each reply reaches its client. Commands of one connection stay in order; among
// the connections that have something due, a seeded choice picks which goes next, so every
// interleaving the real system could see is one a seed can pick.
//
// Links carry the live nemesis's vocabulary with Toxiproxy's (v2.12.0) semantics: down (open
// connections reset, new ones refused); toxics, each on one direction: latency with jitter and
// bandwidth delay each message, and removing one lets what it holds go on at once; timeout drops
// what it meets and closes the connection once nothing has reached it for its timeout (0: never),
// and when it is removed; limit_data closes the connection once that many bytes went its way;
// reset_peer waits for a connection's first message its way, drops it (and whatever follows it
// that way) and resets the connection its timeout later, even if it is removed meanwhile (its
// removal returns only then); a connection with nothing going its way is never reset. An
// endpoint (one incarnation of a role on a link) can be paused (what it sent before still
// arrives; nothing it 'sends' while frozen leaves, nothing reaches it; its timers are frozen by
// the clock, SimWorld.setPaused) or killed (its client side closes at once, what it had sent
// still reaches Redis, then the server side closes; refused for good: the role starts again as
// a new endpoint).
// A connection whose one side closed drains like a TCP connection through Toxiproxy: what is in
// transit toward the other side still arrives, then that side sees the close.

import { Duplex } from 'node:stream';
import type { RedisOptions } from 'ioredis';
import { runAs } from './clock.ts';
import type { SimRedis } from './redis/engine.ts';
import { encodeReply, type Reply } from './redis/reply.ts';
import { connectorOf, SimSocket, SimTransport, type DeliveryPolicy, type SimLink } from './redis/connection.ts';

export type Toxic =
  | { type: 'latency'; stream: 'upstream' | 'downstream'; latencyMs: number; jitterMs: number }
  | { type: 'bandwidth'; stream: 'upstream' | 'downstream'; rateKBps: number }
  | { type: 'timeout'; stream: 'upstream' | 'downstream'; timeoutMs: number }
  | { type: 'reset_peer'; stream: 'upstream' | 'downstream'; timeoutMs: number }
  | { type: 'limit_data'; stream: 'upstream' | 'downstream'; bytes: number };

type Stream = 'upstream' | 'downstream';

/** a toxic as added to a link: one object per addition (a toxic re-added under its name is a new one) */
type ToxicEntry = Toxic & { name: string; since: number };

interface LinkState {
  enabled: boolean;
  /** in the order they were added: Toxiproxy's chain, which a message meets in that order */
  toxics: Map<string, ToxicEntry>;
}

/** One incarnation of a role on a link. */
export class Endpoint {
  alive = true;
  /** frozen (SIGSTOP); set through SimNetwork.setPaused once it has connections */
  paused = false;
  readonly sockets = new Set<SimSocket>();
  constructor(
    readonly link: string,
    readonly name: string,
    /**
     * the process it belongs to, as the virtual clock knows it (VirtualClock.runAs): what reaches
     * its sockets (a reply, a reset, an end) runs as it, so the timers its client sets then (ioredis's
     * socket timeout, its reconnect) are its own, and freeze with it
     */
    readonly owner?: object,
  ) {}
}

interface Item {
  at: number;
  /** a command to Redis, or a reply to the client */
  argv?: string[];
  reply?: Reply;
  /** its size on the wire, computed when a toxic needs it (bandwidth, limit_data): encoding every reply costs */
  bytes?: number;
  /** when it entered the link, and loopback's own share of its time */
  sentAt: number;
  base: number;
  /** each delaying toxic's share (latency, bandwidth), in the order the message meets them */
  parts: { toxic: ToxicEntry; ms: number }[];
  /** 'sent' by a frozen endpoint (a close it was told of may make its client write): it leaves only once it runs again */
  whilePaused?: boolean;
}

interface ConnQueue {
  socket: SimSocket;
  endpoint: Endpoint;
  /** its endpoint's link (SimNetwork.link: made once per name, never replaced) */
  state: LinkState;
  inbound: Item[];
  outbound: Item[];
  opened: number;
  /** the client's side is closed: what it sent still reaches Redis, replies go nowhere, then the server side closes */
  clientGone: boolean;
  /** Redis's side is closed: what is in transit to the client still arrives, then the client sees the end */
  serverGone: boolean;
  /** per timeout toxic (timeout > 0): when it closes the connection unless something reaches it before */
  idle: Map<ToxicEntry, number>;
  /** per limit_data toxic: the bytes it let through on this connection (since it was added or the connection opened) */
  counted: Map<ToxicEntry, number>;
  /** the reset_peer toxics that met a message of this connection: it is reset then; until then nothing passes their way */
  armed?: Map<ToxicEntry, ArmedReset>;
  /** a blocking command of this connection waiting in Redis: it has run, for a crash point, when it is served */
  blocked?: string;
}

/** a connection on a link with no Redis behind it (the client's HTTP requests): only its closes matter */
interface VirtualConn {
  link: string;
  idle: Map<ToxicEntry, number>;
  counted: Map<ToxicEntry, number>;
  armed?: Map<ToxicEntry, ArmedReset>;
  close: (err: Error) => void;
}

/** a reset a reset_peer toxic has armed on one connection, in its direction: `fired` settles once it has happened */
interface ArmedReset {
  stream: Stream;
  fired: Promise<void>;
}

/** what a toxic's message meets on a connection: its counters and its armed resets */
type ConnState = { idle: Map<ToxicEntry, number>; counted: Map<ToxicEntry, number>; armed?: Map<ToxicEntry, ArmedReset> };

/** a message on its way across a link with no Redis behind it (SimNetwork.transit) */
interface Transit {
  link: string;
  stream: Stream;
  item: Item;
  /** its time changed (a delaying toxic that held it was removed) */
  moved(): void;
}

/** what one message meets on its way: its delay, and whether a toxic drops it or closes the connection */
type Verdict = 'pass' | 'drop' | 'close' | 'pass-then-close';

const sum = (parts: Item['parts']) => parts.reduce((n, p) => n + p.ms, 0);

/** the parts of a message on a link with no toxics (shared: nothing adds to it) */
const NO_PARTS: Item['parts'] = [];

/** bytes of a request as ioredis writes it (RESP array of bulk strings; each argument a byte string, one char a byte) */
const requestBytes = (argv: string[]) => argv.reduce((n, a) => {
  const len = a.length;
  return n + 5 + String(len).length + len;
}, 3 + String(argv.length).length);

/** loopback through a proxy, one way, as measured live: a fraction of a millisecond */
const BASE_MIN_MS = 0.05;
const BASE_MAX_MS = 0.5;

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });

/** A socket whose connection is refused: it errors (ECONNREFUSED) and closes once ioredis listens. */
function refusedSocket(): Duplex {
  const socket = new Duplex({ read() {}, write(_c, _e, done) { done(); } });
  Object.assign(socket, { setNoDelay: () => socket, setKeepAlive: () => socket, setTimeout: () => socket, ref: () => socket, unref: () => socket, destroySoon: () => socket.destroy() });
  // a virtual timer: after the connect promise's handlers have attached theirs
  setTimeout(() => socket.destroy(refused()), 0);
  return socket;
}

export class SimNetwork implements DeliveryPolicy {
  readonly transport: SimTransport;
  private readonly links = new Map<string, LinkState>();
  private readonly conns = new Map<number, ConnQueue>();
  /** open connections of links with no Redis behind them (openVirtual) */
  private readonly virtual = new Set<VirtualConn>();
  /** messages on their way across such links (transit) */
  private readonly transits = new Set<Transit>();
  private redisUp = true;
  /** endpoint waiting for the next socket the transport opens */
  private opening: Endpoint | undefined;
  /** timed network events (timeout and reset_peer toxics), in order of time then insertion */
  private timed: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;
  /** crash points armed (watch): counted down on every command their endpoint has executed */
  private watches = new Set<{ name: string; command: string; left: number; fire: () => void }>();
  /** step's scratch: the queues with something due and their direction (kept between steps: a step allocates nothing) */
  private readonly dueQueues: (ConnQueue | undefined)[] = [];
  private readonly dueInbound: boolean[] = [];

  constructor(
    private readonly engine: SimRedis,
    private readonly now: () => number,
    /** uniform in [0, 1), from the run's seed */
    private readonly random: () => number,
  ) {
    this.transport = new SimTransport(engine, this);
    // replies the engine produces later (a blocked read served, a pub/sub message) travel like any reply
    const direct = engine.onPush;
    engine.onPush = (conn, reply) => {
      const q = this.conns.get(conn);
      if (!q) return direct(conn, reply);
      // a blocked read served (or timed out) has run now: a crash point counting it fires before its reply travels
      const served = q.blocked;
      q.blocked = undefined;
      if (served !== undefined && this.watches.size) this.executed(q.endpoint.name, served);
      this.enqueue(q, 'outbound', { reply });
    };
  }

  private link(name: string): LinkState {
    let l = this.links.get(name);
    if (!l) this.links.set(name, (l = { enabled: true, toxics: new Map() }));
    return l;
  }

  // ---- what ioredis sees --------------------------------------------------------------------

  /** ioredis options that connect through `endpoint`'s link. */
  redisOptions(endpoint: Endpoint): Pick<RedisOptions, 'Connector'> {
    return { Connector: connectorOf(() => this.open(endpoint)) };
  }

  /**
   * A socket through `endpoint`'s link for a client other than ioredis (node-redis's `stream`),
   * as net.connect gives one: 'connect' on the next tick, or, refused, an error and a close.
   */
  socket(endpoint: Endpoint): Duplex {
    const s = this.open(endpoint);
    if (s instanceof SimSocket) process.nextTick(() => s.destroyed || s.emit('connect'));
    return s;
  }

  private open(endpoint: Endpoint): Duplex {
    if (!this.accepts(endpoint)) return refusedSocket();
    this.opening = endpoint;
    try {
      return this.transport.open();
    } finally {
      this.opening = undefined;
    }
  }

  /** Toxiproxy accepts a connection whatever its toxics (a timeout toxic meets it once it is open) */
  private accepts(e: Endpoint): boolean {
    return e.alive && this.redisUp && this.link(e.link).enabled;
  }

  // ---- DeliveryPolicy: the transport hands us every command and every socket -------------------

  opened(link: SimLink): void {
    const endpoint = this.opening;
    if (!endpoint) throw new Error('a connection opened outside an endpoint (use SimNetwork.redisOptions)');
    const socket = link as SimSocket;
    endpoint.sockets.add(socket);
    const l = this.link(endpoint.link);
    const q: ConnQueue = { socket, endpoint, state: l, inbound: [], outbound: [], opened: this.now(), clientGone: false, serverGone: false, idle: new Map(), counted: new Map() };
    this.conns.set(link.conn, q);
    // a timeout toxic's clock starts with the connection
    for (const t of l.toxics.values()) if (t.type === 'timeout' && t.timeoutMs > 0) this.armIdle(q, t);
  }

  /**
   * The client side closed (it hung up, was reset, or its process died). What it sent before is
   * already on its way through the proxy: it still reaches Redis, then the server side closes.
   */
  closed(link: SimLink): boolean {
    const q = this.conns.get(link.conn);
    if (!q) return false;
    q.clientGone = true;
    q.outbound = [];
    const keep = !q.serverGone && q.inbound.length > 0 && this.redisUp && this.engine.isConnected(q.socket.conn);
    if (!keep) this.forget(q);
    return keep;
  }

  deliver(link: SimLink, argv: string[]): void {
    const q = this.conns.get(link.conn);
    // Redis's side is closed: what the client still writes goes nowhere
    if (!q || q.serverGone) return;
    this.enqueue(q, 'inbound', { argv });
  }

  private enqueue(q: ConnQueue, dir: 'inbound' | 'outbound', item: { argv?: string[]; reply?: Reply }): void {
    const queued: Item = { argv: item.argv, reply: item.reply, at: 0, sentAt: this.now(), base: 0, parts: NO_PARTS };
    const queue = q[dir];
    if (q.state.toxics.size === 0) {
      // (route's draw, with nothing to route through)
      queued.base = BASE_MIN_MS + this.random() * (BASE_MAX_MS - BASE_MIN_MS);
    } else {
      const { base, parts } = this.route(q.endpoint.link, dir === 'inbound' ? 'upstream' : 'downstream', () => sizeOf(queued));
      queued.base = base;
      queued.parts = parts;
    }
    // one connection is one TCP stream: nothing overtakes what was sent before it
    queued.at = Math.max(queued.sentAt + queued.base + sum(queued.parts), queue.length ? queue[queue.length - 1]!.at : 0);
    if (dir === 'inbound' && q.endpoint.paused) queued.whilePaused = true;
    queue.push(queued);
  }

  /**
   * A message of `bytes` crossing a link with no Redis behind it (the client's HTTP): settles once
   * it has, after loopback's own time (0.05–0.5 ms: a real link is never instant, and requests that
   * arrive close together must be able to overlap) plus the toxics' (latency with jitter,
   * bandwidth), or sooner when a delaying toxic that holds it is removed.
   */
  transit(linkName: string, stream: Stream, bytes: number): Promise<void> {
    const { base, parts } = this.route(linkName, stream, () => bytes);
    const sentAt = this.now();
    const ms = base + sum(parts);
    const item: Item = { at: sentAt + ms, sentAt, base, parts };
    return new Promise<void>((resolve) => {
      const arrive = () => {
        this.transits.delete(w);
        resolve();
      };
      // (a virtual timer of the message's whole delay, set again when a removed toxic releases it)
      let timer = setTimeout(arrive, ms);
      const w: Transit = {
        link: linkName,
        stream,
        item,
        moved: () => {
          clearTimeout(timer);
          timer = setTimeout(arrive, Math.max(0, item.at - this.now()));
        },
      };
      this.transits.add(w);
    });
  }

  /** loopback's share and each delaying toxic's share, in the link's chain order */
  private route(linkName: string, stream: Stream, bytes: () => number): { base: number; parts: Item['parts'] } {
    const base = BASE_MIN_MS + this.random() * (BASE_MAX_MS - BASE_MIN_MS);
    const toxics = this.link(linkName).toxics;
    if (toxics.size === 0) return { base, parts: NO_PARTS };
    const parts: Item['parts'] = [];
    for (const t of toxics.values()) {
      if (t.type === 'latency' && t.stream === stream) parts.push({ toxic: t, ms: Math.max(0, t.latencyMs + (t.jitterMs ? (this.random() * 2 - 1) * t.jitterMs : 0)) });
      if (t.type === 'bandwidth' && t.stream === stream) parts.push({ toxic: t, ms: bytes() / Math.max(1, t.rateKBps) });
    }
    return { base, parts };
  }

  // ---- the scheduler's view ---------------------------------------------------------------------

  /**
   * Whether that direction of the connection is held now: nothing moves while Redis is down; a
   * frozen endpoint reads nothing, and what it 'sent' while frozen waits until it runs again
   * (what it sent before it froze goes on, as its bytes were already in the proxy).
   */
  private held(q: ConnQueue, dir: 'inbound' | 'outbound'): boolean {
    if (!this.redisUp) return true;
    if (dir === 'outbound') return q.endpoint.paused;
    return q.inbound[0]?.whilePaused === true;
  }

  /** The earliest time something is due: a message, or a timed network event. */
  nextAt(): number | undefined {
    let next = this.timed.length ? this.timed[0]!.at : Infinity;
    for (const q of this.conns.values()) {
      if (q.inbound.length && !this.held(q, 'inbound')) next = Math.min(next, q.inbound[0]!.at);
      if (q.outbound.length && !this.held(q, 'outbound')) next = Math.min(next, q.outbound[0]!.at);
    }
    return next === Infinity ? undefined : next;
  }

  /**
   * Commands and replies held or in transit on every connection (a paused role's and a stalled
   * link's included): what may still reach Redis or a client after the heal. The runner takes its
   * first snapshot only when this is 0, so a stale write delayed past the final heal is in it.
   */
  inFlight(): number {
    let n = 0;
    for (const q of this.conns.values()) n += q.inbound.length + q.outbound.length;
    return n;
  }

  /**
   * Whether the last step ran no code and queued none: a command reached Redis through no toxic,
   * with no crash point armed, and left its connection open (its reply, and any reply it served,
   * only queued here). The scheduler need not let code run after such a step: none is waiting.
   */
  lastStepQuiet = false;

  /** Runs one thing due now (a seeded pick among the connections with something due); false when nothing is. */
  step(): boolean {
    this.lastStepQuiet = false;
    // (a crash point armed now may fire in this step, and be gone from watches after it)
    const watching = this.watches.size > 0;
    const now = this.now();
    if (this.timed.length && this.timed[0]!.at <= now) {
      this.timed.shift()!.run();
      return true;
    }
    // what is due, in the connections' order, each connection's inbound before its outbound
    const dueQueues = this.dueQueues;
    const dueInbound = this.dueInbound;
    let n = 0;
    for (const q of this.conns.values()) {
      if (q.inbound.length && q.inbound[0]!.at <= now && !this.held(q, 'inbound')) {
        dueQueues[n] = q;
        dueInbound[n++] = true;
      }
      if (q.outbound.length && q.outbound[0]!.at <= now && !this.held(q, 'outbound')) {
        dueQueues[n] = q;
        dueInbound[n++] = false;
      }
    }
    if (n === 0) return false;
    const pick = n === 1 ? 0 : Math.floor(this.random() * n);
    const q = dueQueues[pick]!;
    const dir = dueInbound[pick] ? 'inbound' : 'outbound';
    dueQueues.fill(undefined, 0, n);
    const item = q[dir].shift()!;
    const stream: Stream = dir === 'inbound' ? 'upstream' : 'downstream';
    const verdict = q.state.toxics.size === 0 && !q.armed ? 'pass' : this.meet(q, q.endpoint.link, stream, () => sizeOf(item));
    if (verdict === 'pass' || verdict === 'pass-then-close') {
      if (dir === 'outbound') runAs(q.endpoint.owner, () => q.socket.reply(item.reply!, true));
      else this.execute(q, item.argv!);
    }
    if (verdict === 'close' || verdict === 'pass-then-close') this.close(q, stream);
    this.settle(q, dir === 'outbound' && verdict !== 'drop');
    this.lastStepQuiet = dir === 'inbound' && verdict === 'pass' && !watching && !q.clientGone && !q.serverGone;
    return true;
  }

  private execute(q: ConnQueue, argv: string[]): void {
    const conn = q.socket.conn;
    // the engine let the connection go (CLIENT KILL): Redis reads nothing more of it
    if (!this.engine.isConnected(conn)) return this.closeServer(q);
    const r = this.engine.exec(conn, argv);
    // a command that blocks (XREADGROUP BLOCK with nothing to read) runs when it is served (onPush)
    if (typeof r !== 'object') q.blocked = argv[0]!;
    else if (this.watches.size) this.executed(q.endpoint.name, argv[0]!);
    if (typeof r === 'object' && !q.clientGone && this.conns.has(conn)) this.enqueue(q, 'outbound', { reply: r });
    // QUIT: Redis closes after its reply
    if (!this.engine.isConnected(conn)) this.closeServer(q);
  }

  /**
   * What the toxics in `stream`'s direction do to a message of `bytes` reaching them now, in
   * chain order: a timeout drops it (and its clock starts again); a reset_peer drops it and
   * resets the connection its timeout later (the first message it meets on the connection arms
   * it; it reads nothing more, so what follows that way is lost too, even once it is removed);
   * a limit_data lets through what fits, closing the connection once its bytes are used up (a
   * message cut short is never complete on the other side: it counts as not passed).
   */
  private meet(c: ConnState, link: string, stream: Stream, size: () => number): Verdict {
    if (c.armed) for (const r of c.armed.values()) if (r.stream === stream) return 'drop';
    let verdict: Verdict = 'pass';
    for (const t of this.link(link).toxics.values()) {
      if (t.type === 'timeout' && t.stream === stream) {
        if (t.timeoutMs > 0) this.armIdle(c, t);
        return 'drop';
      }
      if (t.type === 'reset_peer' && t.stream === stream) {
        this.armReset(c, t);
        return 'drop';
      }
      if (t.type === 'limit_data' && t.stream === stream) {
        const bytes = size();
        const sent = c.counted.get(t) ?? 0;
        const through = Math.min(bytes, Math.max(0, t.bytes - sent));
        c.counted.set(t, sent + through);
        if (through < bytes) return 'close';
        if (sent + through >= t.bytes) verdict = 'pass-then-close';
      }
    }
    return verdict;
  }

  /** A timeout toxic closes the connection once nothing has reached it for its timeout. */
  private armIdle(c: ConnState, t: ToxicEntry & { type: 'timeout' }): void {
    const at = this.now() + t.timeoutMs;
    c.idle.set(t, at);
    this.after(t.timeoutMs, () => {
      if (c.idle.get(t) !== at || this.link(this.linkOf(c)).toxics.get(t.name) !== t) return;
      if ('socket' in c) {
        if (this.conns.has((c as ConnQueue).socket.conn)) this.close(c as ConnQueue, t.stream);
      } else if (this.virtual.has(c as VirtualConn)) this.closeVirtual(c as VirtualConn);
    });
  }

  /** A reset_peer toxic met a message of the connection: it resets the connection its timeout from now. */
  private armReset(c: ConnState, t: ToxicEntry & { type: 'reset_peer' }): void {
    let fire!: () => void;
    const fired = new Promise<void>((r) => (fire = r));
    (c.armed ??= new Map()).set(t, { stream: t.stream, fired });
    this.after(t.timeoutMs, () => {
      if ('socket' in c) {
        const q = c as ConnQueue;
        if (this.conns.get(q.socket.conn) === q) this.reset(q);
      } else this.closeVirtual(c as VirtualConn, 'ECONNRESET');
      fire();
    });
  }

  private linkOf(c: object): string {
    return 'socket' in c ? (c as ConnQueue).endpoint.link : (c as VirtualConn).link;
  }

  /**
   * Arms a crash point: `fire` runs the moment the endpoint named `name` (a role, or a worker's
   * `<worker>-executor`) has had its `nth` command of name `command` ('*': any) executed from now,
   * before its reply is queued. Returns the disarm function.
   */
  watch(name: string, command: string, nth: number, fire: () => void): () => void {
    const w = { name, command: command.toUpperCase(), left: Math.max(1, nth), fire };
    this.watches.add(w);
    return () => this.watches.delete(w);
  }

  private executed(endpoint: string, command: string): void {
    for (const w of [...this.watches]) {
      if (w.name !== endpoint || (w.command !== '*' && w.command !== command.toUpperCase())) continue;
      if (--w.left > 0) continue;
      this.watches.delete(w);
      w.fire();
    }
  }

  private after(ms: number, run: () => void): void {
    this.timed.push({ at: this.now() + ms, seq: this.seq++, run });
    this.timed.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /**
   * Toxiproxy closes one direction's stub (a timeout, a limit_data): in upstream, Redis's side
   * closes now and what is on its way to the client still arrives before the client sees the end;
   * in downstream, the client's side closes now and what it sent still reaches Redis. The proxy
   * closes the whole socket: what the other side wrote a moment ago, not yet read by the proxy,
   * is lost (live, a reply Redis writes as the proxy closes its side is lost more often than not).
   */
  private close(q: ConnQueue, stream: Stream): void {
    const read = (i: Item) => this.now() - i.sentAt >= BASE_MAX_MS;
    if (stream === 'upstream') {
      q.outbound = q.outbound.filter(read);
      this.closeServer(q);
    } else {
      q.inbound = q.inbound.filter(read);
      this.closeClient(q, 'end');
    }
  }

  /** Redis's side closes (a blocked command of it is released); the client sees the end once what is in transit to it arrived. */
  private closeServer(q: ConnQueue): void {
    if (q.serverGone) return;
    q.serverGone = true;
    q.inbound = [];
    this.engine.disconnect(q.socket.conn);
    this.settle(q);
  }

  /** The client's side closes: 'reset' (an error, then close) or 'end' (the server hung up). */
  private closeClient(q: ConnQueue, how: 'reset' | 'end'): void {
    if (q.clientGone) return;
    q.clientGone = true;
    q.outbound = [];
    // the socket tells closed() (which keeps the server side while what the client sent is in transit)
    runAs(q.endpoint.owner, () => (how === 'reset' ? q.socket.cut() : q.socket.hangUp()));
    this.settle(q);
  }

  /**
   * A half-closed connection finishes closing once its side's last message arrived. When that
   * message was a reply just handed to the client (`replied`), the client reads the end in a step
   * of its own: a socket reads its EOF in an I/O callback of its own, and what the reply set off
   * (its promise callbacks) runs in between. Read in one go, the end came first: ioredis, closed
   * while its ready check's reply was on its way (a frozen client's, held until it ran again),
   * took the reply for a ready connection after the close and never reconnected.
   */
  private settle(q: ConnQueue, replied = false): void {
    if (q.clientGone && (q.serverGone || q.inbound.length === 0)) {
      if (!q.serverGone) {
        q.serverGone = true;
        this.engine.disconnect(q.socket.conn);
      }
      this.forget(q);
    } else if (q.serverGone && !q.clientGone && q.outbound.length === 0) {
      if (replied) this.after(0, () => this.closeClient(q, 'end'));
      else this.closeClient(q, 'end');
    }
  }

  private forget(q: ConnQueue): void {
    this.conns.delete(q.socket.conn);
    q.endpoint.sockets.delete(q.socket);
  }

  /** Both sides reset at once, what is in transit lost (a link down, reset_peer, Redis down). */
  private reset(q: ConnQueue): void {
    q.inbound = [];
    q.outbound = [];
    // nothing left to deliver either way: the client's reset closes Redis's side too (settle),
    // and so does the reset of a connection whose client had already gone (a killed process's)
    this.closeClient(q, 'reset');
    this.settle(q);
  }

  private cutLink(name: string): void {
    for (const q of [...this.conns.values()]) if (q.endpoint.link === name) this.reset(q);
    for (const v of [...this.virtual]) if (v.link === name) this.closeVirtual(v, 'ECONNRESET');
  }

  private onLink(name: string): ConnQueue[] {
    return [...this.conns.values()].filter((q) => q.endpoint.link === name);
  }

  // ---- a link with no Redis behind it ---------------------------------------------------------------

  /**
   * A connection on a link whose other end is not Redis (the client's HTTP to the orchestrator),
   * under the same faults: refused when the link is down (undefined); `closed` rejects when the
   * link goes down or a toxic closes it; `pass` says whether a message in that direction gets
   * through now (a timeout toxic drops it, a limit_data may close the connection).
   */
  openVirtual(link: string): { closed: Promise<never>; pass(stream: Stream, bytes: number): boolean; end(): void } | undefined {
    const l = this.link(link);
    if (!l.enabled) return undefined;
    let close!: (err: Error) => void;
    const closed = new Promise<never>((_, reject) => (close = reject));
    closed.catch(() => undefined);
    const v: VirtualConn = { link, idle: new Map(), counted: new Map(), close };
    this.virtual.add(v);
    for (const t of l.toxics.values()) if (t.type === 'timeout' && t.timeoutMs > 0) this.armIdle(v, t);
    return {
      closed,
      pass: (stream, bytes) => {
        if (!this.virtual.has(v)) return false;
        const verdict = this.meet(v, link, stream, () => bytes);
        if (verdict === 'close' || verdict === 'pass-then-close') this.closeVirtual(v);
        return verdict === 'pass' || verdict === 'pass-then-close';
      },
      end: () => this.virtual.delete(v),
    };
  }

  private closeVirtual(v: VirtualConn, code: 'ECONNRESET' | 'EPIPE' = 'ECONNRESET'): void {
    if (!this.virtual.delete(v)) return;
    v.close(Object.assign(new Error(code === 'ECONNRESET' ? 'read ECONNRESET' : 'socket hang up'), { code }));
  }

  // ---- faults -------------------------------------------------------------------------------------

  setEnabled(link: string, enabled: boolean): void {
    this.link(link).enabled = enabled;
    if (!enabled) this.cutLink(link);
  }

  addToxic(link: string, name: string, toxic: Toxic): void {
    const l = this.link(link);
    // (live, a name already taken is refused; here the new one replaces it, at the chain's end)
    l.toxics.delete(name);
    const t: ToxicEntry = { ...toxic, name, since: this.now() };
    l.toxics.set(name, t);
    // its clock starts now on every open connection (a limit_data's count starts at 0 with it)
    if (t.type === 'timeout' && t.timeoutMs > 0) {
      for (const q of this.onLink(link)) this.armIdle(q, t);
      for (const v of this.virtual) if (v.link === link) this.armIdle(v, t);
    }
  }

  /**
   * As Toxiproxy removes a toxic: a timeout closes every connection in its direction (its cleanup
   * closes its stub); a latency or bandwidth lets what it holds go on at once (its pipe, interrupted,
   * hands on the message it was delaying and the chain without it takes the rest), each message
   * still meeting the link's other toxics, which count from when it entered the link; a reset_peer
   * leaves the connections it has not met alone, and those it has armed are still reset at their
   * time (its pipe, waiting out its timeout, is not interrupted). Settles when Toxiproxy's removal
   * returns: once those resets have happened (at once for any other toxic).
   */
  removeToxic(link: string, name: string): Promise<void> {
    const l = this.link(link);
    const t = l.toxics.get(name);
    if (!t) return Promise.resolve();
    l.toxics.delete(name);
    if (t.type === 'reset_peer') {
      const pending: Promise<void>[] = [];
      for (const c of [...this.conns.values(), ...this.virtual]) {
        const armed = c.armed?.get(t);
        if (armed) pending.push(armed.fired);
      }
      return Promise.all(pending).then(() => undefined);
    }
    if (t.type === 'timeout') {
      for (const q of this.onLink(link)) this.close(q, t.stream);
      for (const v of [...this.virtual]) if (v.link === link) this.closeVirtual(v);
    }
    if (t.type === 'latency' || t.type === 'bandwidth') {
      for (const q of this.onLink(link)) this.release(t.stream === 'upstream' ? q.inbound : q.outbound, t);
      for (const w of [...this.transits]) if (w.link === link && w.stream === t.stream) this.release([w.item], t, w);
    }
    return Promise.resolve();
  }

  /**
   * What a removed delaying toxic held in one direction of a connection goes on now: its share
   * taken off each message, which is due at once, or when the link's other toxics let it go;
   * messages behind it in the stream stay behind it, and may come due earlier with it.
   */
  private release(queue: Item[], t: ToxicEntry, transit?: Transit): void {
    const now = this.now();
    let prev = 0;
    let changed = false;
    for (const item of queue) {
      const held = item.parts.some((p) => p.toxic === t);
      if (held) {
        item.parts = item.parts.filter((p) => p.toxic !== t);
        changed = true;
      }
      if (changed) item.at = Math.max(held ? now : 0, item.sentAt + item.base + sum(item.parts), prev);
      prev = item.at;
    }
    if (changed && transit) transit.moved();
  }

  /** Toxiproxy's reset: every proxy enabled, every toxic removed (each as removeToxic); settles when every removal has. */
  healLinks(): Promise<void> {
    const removals: Promise<void>[] = [];
    for (const [name, l] of this.links) {
      l.enabled = true;
      for (const toxic of [...l.toxics.keys()]) removals.push(this.removeToxic(name, toxic));
    }
    return Promise.all(removals).then(() => undefined);
  }

  /**
   * A role's incarnation dies (SIGKILL): its side of each connection closes at once (refused
   * from now on); what it had sent is already in the proxy and still reaches Redis at its time
   * (nobody reads the replies), then Redis's side closes. What it 'sent' while frozen never left.
   */
  kill(e: Endpoint): void {
    e.alive = false;
    for (const q of [...this.conns.values()]) {
      if (q.endpoint !== e) continue;
      q.inbound = q.inbound.filter((i) => !i.whilePaused);
      this.closeClient(q, 'reset');
    }
  }

  /** SIGSTOP / SIGCONT of an endpoint: once it runs again, what it wrote while frozen leaves as if written now. */
  setPaused(e: Endpoint, paused: boolean): void {
    e.paused = paused;
    if (paused) return;
    for (const q of this.conns.values()) if (q.endpoint === e) for (const i of q.inbound) delete i.whilePaused;
  }

  /** Redis goes down (its connections reset, new ones refused) and comes back with its data. */
  redisDown(): void {
    this.redisUp = false;
    this.engine.restart();
    for (const q of [...this.conns.values()]) this.reset(q);
  }

  /** While it is down: its keyspace goes, so it comes back empty (a wipe). */
  redisErase(): void {
    if (this.redisUp) throw new Error('the simulated Redis is up: its data can be erased only while it is down');
    this.engine.erase();
  }

  redisBack(): void {
    this.redisUp = true;
  }

  /** The link accepts connections and carries data (not down, not stalled by a timeout toxic). */
  linkOpen(name: string): boolean {
    const l = this.link(name);
    return l.enabled && ![...l.toxics.values()].some((t) => t.type === 'timeout');
  }

  get redisIsUp(): boolean {
    return this.redisUp;
  }
}

/** A message's size on the wire (a command's RESP array, a reply's encoding), computed once. */
function sizeOf(item: Item): number {
  item.bytes ??= item.argv ? requestBytes(item.argv) : encodeReply(item.reply!).length;
  return item.bytes;
}
