// The simulation's network: every role's ioredis client talks to the in-process Redis through
// an in-memory socket (redis/connection.ts), and this module decides when each command reaches
// Redis and when each reply reaches its client. Commands of one connection stay in order; among
// the connections that have something due, a seeded choice picks which goes next, so every
// interleaving the real system could see is one a seed can pick.
//
// Links carry the live nemesis's vocabulary: down (open connections reset, new ones refused),
// toxics (latency with jitter and bandwidth delay each message; timeout stalls a link and then
// resets it; reset_peer and limit_data reset its connections), and an endpoint (one incarnation
// of a role on a link) can be paused (nothing of it moves) or killed (its connections reset, and
// refused for good: the role starts again as a new endpoint).

import { Duplex } from 'node:stream';
import type { RedisOptions } from 'ioredis';
import type { SimRedis } from './redis/engine.ts';
import type { Reply } from './redis/reply.ts';
import { connectorOf, SimTransport, type DeliveryPolicy, type SimLink, type SimSocket } from './redis/connection.ts';

export type Toxic =
  | { type: 'latency'; stream: 'upstream' | 'downstream'; latencyMs: number; jitterMs: number }
  | { type: 'bandwidth'; stream: 'upstream' | 'downstream'; rateKBps: number }
  | { type: 'timeout'; timeoutMs: number }
  | { type: 'reset_peer'; timeoutMs: number }
  | { type: 'limit_data'; bytes: number };

interface LinkState {
  enabled: boolean;
  toxics: Map<string, Toxic & { since: number }>;
}

/** One incarnation of a role on a link. */
export class Endpoint {
  alive = true;
  paused = false;
  readonly sockets = new Set<SimSocket>();
  constructor(readonly link: string, readonly name: string) {}
}

interface Item {
  at: number;
  /** a command to Redis, or a reply to the client */
  argv?: string[];
  reply?: Reply;
  bytes: number;
}

interface ConnQueue {
  socket: SimSocket;
  endpoint: Endpoint;
  inbound: Item[];
  outbound: Item[];
  /** bytes sent since a limit_data toxic was added */
  sent: number;
  opened: number;
}

/** loopback through a proxy, one way, as measured live: a fraction of a millisecond */
const BASE_MIN_MS = 0.05;
const BASE_MAX_MS = 0.5;

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });

/** A socket whose connection is refused: it errors (ECONNREFUSED) and closes once ioredis listens. */
function refusedSocket(): Duplex {
  const socket = new Duplex({ read() {}, write(_c, _e, done) { done(); } });
  Object.assign(socket, { setNoDelay: () => socket, setKeepAlive: () => socket, setTimeout: () => socket, ref: () => socket, unref: () => socket });
  // a virtual timer: after the connect promise's handlers have attached theirs
  setTimeout(() => socket.destroy(refused()), 0);
  return socket;
}

export class SimNetwork implements DeliveryPolicy {
  readonly transport: SimTransport;
  private readonly links = new Map<string, LinkState>();
  private readonly conns = new Map<number, ConnQueue>();
  private redisUp = true;
  /** endpoint waiting for the next socket the transport opens */
  private opening: Endpoint | undefined;
  /** timed network events (timeout and reset_peer toxics), in order of time then insertion */
  private timed: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;
  /** crash points armed (watch): counted down on every command their endpoint has executed */
  private watches = new Set<{ name: string; command: string; left: number; fire: () => void }>();

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
      if (q) this.enqueue(q, 'outbound', { reply });
      else direct(conn, reply);
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
    return {
      Connector: connectorOf(() => {
        if (!this.accepts(endpoint)) return refusedSocket();
        this.opening = endpoint;
        try {
          return this.transport.open();
        } finally {
          this.opening = undefined;
        }
      }),
    };
  }

  private accepts(e: Endpoint): boolean {
    const l = this.link(e.link);
    return e.alive && this.redisUp && l.enabled && ![...l.toxics.values()].some((t) => t.type === 'timeout');
  }

  // ---- DeliveryPolicy: the transport hands us every command and every socket -------------------

  opened(link: SimLink): void {
    const endpoint = this.opening;
    if (!endpoint) throw new Error('a connection opened outside an endpoint (use SimNetwork.redisOptions)');
    const socket = link as SimSocket;
    endpoint.sockets.add(socket);
    const q: ConnQueue = { socket, endpoint, inbound: [], outbound: [], sent: 0, opened: this.now() };
    this.conns.set(link.conn, q);
    const l = this.link(endpoint.link);
    for (const t of l.toxics.values()) if (t.type === 'reset_peer') this.after(t.timeoutMs, () => this.cutSocket(q));
  }

  closed(link: SimLink): void {
    const q = this.conns.get(link.conn);
    if (!q) return;
    this.conns.delete(link.conn);
    q.endpoint.sockets.delete(q.socket);
  }

  deliver(link: SimLink, argv: string[]): void {
    const q = this.conns.get(link.conn);
    if (!q) return;
    this.enqueue(q, 'inbound', { argv });
  }

  private enqueue(q: ConnQueue, dir: 'inbound' | 'outbound', item: { argv?: string[]; reply?: Reply }): void {
    const bytes = item.argv ? item.argv.reduce((n, a) => n + a.length + 8, 4) : 16;
    const queue = q[dir];
    const delay = this.delay(q.endpoint.link, dir === 'inbound' ? 'upstream' : 'downstream', bytes);
    // one connection is one TCP stream: nothing overtakes what was sent before it
    const at = Math.max(this.now() + delay, queue.length ? queue[queue.length - 1]!.at : 0);
    queue.push({ ...item, at, bytes });
  }

  /**
   * How long a message of `bytes` takes on the link in that direction now: loopback's own time
   * (0.05–0.5 ms: a real link is never instant, and requests that arrive close together must be
   * able to overlap) plus the toxics (latency with jitter, bandwidth).
   */
  delay(linkName: string, stream: 'upstream' | 'downstream', bytes: number): number {
    let ms = BASE_MIN_MS + this.random() * (BASE_MAX_MS - BASE_MIN_MS);
    for (const t of this.link(linkName).toxics.values()) {
      if (t.type === 'latency' && t.stream === stream) ms += Math.max(0, t.latencyMs + (t.jitterMs ? (this.random() * 2 - 1) * t.jitterMs : 0));
      if (t.type === 'bandwidth' && t.stream === stream) ms += bytes / Math.max(1, t.rateKBps);
    }
    return ms;
  }

  // ---- the scheduler's view ---------------------------------------------------------------------

  private stalled(q: ConnQueue): boolean {
    if (q.endpoint.paused || !this.redisUp) return true;
    for (const t of this.link(q.endpoint.link).toxics.values()) if (t.type === 'timeout') return true;
    return false;
  }

  /** The earliest time something is due: a message, or a timed network event. */
  nextAt(): number | undefined {
    let next = this.timed.length ? this.timed[0]!.at : Infinity;
    for (const q of this.conns.values()) {
      if (this.stalled(q)) continue;
      if (q.inbound.length) next = Math.min(next, q.inbound[0]!.at);
      if (q.outbound.length) next = Math.min(next, q.outbound[0]!.at);
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

  /** Runs one thing due now (a seeded pick among the connections with something due); false when nothing is. */
  step(): boolean {
    const now = this.now();
    if (this.timed.length && this.timed[0]!.at <= now) {
      this.timed.shift()!.run();
      return true;
    }
    const due: [ConnQueue, 'inbound' | 'outbound'][] = [];
    for (const q of this.conns.values()) {
      if (this.stalled(q)) continue;
      if (q.inbound.length && q.inbound[0]!.at <= now) due.push([q, 'inbound']);
      if (q.outbound.length && q.outbound[0]!.at <= now) due.push([q, 'outbound']);
    }
    if (due.length === 0) return false;
    const [q, dir] = due.length === 1 ? due[0]! : due[Math.floor(this.random() * due.length)]!;
    const item = q[dir].shift()!;
    if (dir === 'outbound') {
      q.socket.reply(item.reply!);
      return true;
    }
    if (this.overLimit(q, item.bytes)) return true;
    const r = this.engine.exec(q.socket.conn, item.argv!);
    if (this.watches.size) this.executed(q.endpoint.name, item.argv![0]!);
    if (typeof r === 'object' && this.conns.has(q.socket.conn)) this.enqueue(q, 'outbound', { reply: r });
    return true;
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

  /** limit_data: the connection is reset once it has carried that many bytes. */
  private overLimit(q: ConnQueue, bytes: number): boolean {
    const limit = [...this.link(q.endpoint.link).toxics.values()].find((t) => t.type === 'limit_data');
    if (!limit || limit.type !== 'limit_data') return false;
    q.sent += bytes;
    if (q.sent <= limit.bytes) return false;
    this.cutSocket(q);
    return true;
  }

  private after(ms: number, run: () => void): void {
    this.timed.push({ at: this.now() + ms, seq: this.seq++, run });
    this.timed.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  private cutSocket(q: ConnQueue): void {
    q.inbound = [];
    q.outbound = [];
    q.socket.cut();
  }

  private cutEndpoint(e: Endpoint): void {
    for (const q of [...this.conns.values()]) if (q.endpoint === e) this.cutSocket(q);
  }

  private cutLink(name: string): void {
    for (const q of [...this.conns.values()]) if (q.endpoint.link === name) this.cutSocket(q);
  }

  // ---- faults -------------------------------------------------------------------------------------

  setEnabled(link: string, enabled: boolean): void {
    this.link(link).enabled = enabled;
    if (!enabled) this.cutLink(link);
  }

  addToxic(link: string, name: string, toxic: Toxic): void {
    const l = this.link(link);
    l.toxics.set(name, { ...toxic, since: this.now() });
    if (toxic.type === 'timeout' && toxic.timeoutMs > 0) this.after(toxic.timeoutMs, () => l.toxics.has(name) && this.cutLink(link));
    if (toxic.type === 'reset_peer') this.after(toxic.timeoutMs, () => l.toxics.has(name) && this.cutLink(link));
    if (toxic.type === 'limit_data') for (const q of this.conns.values()) if (q.endpoint.link === link) q.sent = 0;
  }

  removeToxic(link: string, name: string): void {
    this.link(link).toxics.delete(name);
  }

  healLinks(): void {
    for (const l of this.links.values()) {
      l.enabled = true;
      l.toxics.clear();
    }
  }

  /** A role's incarnation dies: its connections reset, and refused from now on. */
  kill(e: Endpoint): void {
    e.alive = false;
    this.cutEndpoint(e);
  }

  /** Redis goes down (its connections reset, new ones refused) and comes back with its data. */
  redisDown(): void {
    this.redisUp = false;
    this.engine.restart();
    for (const q of [...this.conns.values()]) this.cutSocket(q);
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
