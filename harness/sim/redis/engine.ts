// SimRedis: an in-process, deterministic, synchronous model of one redis-server 7.0 for the
// simulation mode. Connections, command dispatch with Redis's checks in Redis's order,
// MULTI/EXEC/WATCH, blocked commands served FIFO per key, pub/sub, scripts, expiry, all on
// a virtual clock. No timers, no I/O, no randomness: the same calls give the same replies.

import { cString } from './bytes.ts';
import { BASE_COMMANDS, globMatch } from './commands.ts';
import { arityOk, type BlockedCommand, type BlockRequest, type CommandSpec, type ConnState, type Ctx, type ServerServices } from './context.ts';
import { HASH_COMMANDS } from './hash-commands.ts';
import { Keyspace } from './keyspace.ts';
import { KEYSPACE_COMMANDS } from './keyspace-commands.ts';
import { LIST_COMMANDS } from './list-commands.ts';
import { ScriptCache } from './lua.ts';
import { array, bulk, error, int, NIL, NIL_ARRAY, OK, QUEUED, type Reply } from './reply.ts';
import { SET_COMMANDS } from './set-commands.ts';
import { STREAM_COMMANDS } from './stream-commands.ts';
import { STRING_COMMANDS } from './string-commands.ts';
import { ZSET_COMMANDS } from './zset-commands.ts';

export type { Reply } from './reply.ts';

export interface SimRedisOptions {
  /** virtual ms since the epoch, integer or fractional */
  now: () => number;
  password?: string;
}

export type ExecResult = Reply | 'blocked' | 'pushed-only';

/** every command whose handler is no server's own, built once per process (SimRedis.transactionSpecs come first) */
const COMMANDS: Record<string, CommandSpec> = {
  ...BASE_COMMANDS,
  ...KEYSPACE_COMMANDS,
  ...STRING_COMMANDS,
  ...HASH_COMMANDS,
  ...SET_COMMANDS,
  ...LIST_COMMANDS,
  ...STREAM_COMMANDS,
  ...ZSET_COMMANDS,
};

/** each key once, in the order first given (a blocking command's one key as it is: no Set made) */
const distinct = (keys: readonly string[]): Iterable<string> => (keys.length <= 1 ? keys : new Set(keys));

/** commands exempt from MULTI queueing */
const TRANSACTION_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

export class SimRedis {
  /** pub/sub messages and subscribe replies, and the reply of a blocked command when it is served */
  onPush: (conn: number, reply: Reply) => void = () => undefined;
  /** a connection the server dropped on its own (restart): the transport should reset it */
  onDrop: (conn: number) => void = () => undefined;

  private readonly clock: () => number;
  private readonly password: string | undefined;
  private readonly db: Keyspace;
  private readonly conns = new Map<number, ConnState>();
  private nextConnId = 1;
  private readonly watchers = new Map<string, Set<ConnState>>();
  private readonly blockedOn = new Map<string, BlockedCommand[]>();
  private readonly readyKeys = new Set<string>();
  private readonly unblocked: ConnState[] = [];
  private blockSeq = 0;
  private randomState = 0x9e3779b9;
  private readonly channels = new Map<string, Set<ConnState>>();
  /** PSUBSCRIBE patterns, each with its subscribers */
  private readonly patterns = new Map<string, Set<ConnState>>();
  private scripts = new ScriptCache();
  /** the commands whose handlers are this server's own (MULTI, EXEC ...): they come before COMMANDS */
  private readonly transactionSpecs: Record<string, CommandSpec>;
  private readonly services: ServerServices;
  /** lookups that found a command, by the name as sent (a container's subcommand: both words) */
  private readonly found = new Map<string, { spec: CommandSpec; fullname: string }>();
  private readonly foundSub = new Map<string, Map<string, { spec: CommandSpec; fullname: string }>>();

  constructor(opts: SimRedisOptions) {
    this.clock = opts.now;
    this.password = opts.password;
    this.db = new Keyspace(() => this.nowMs(), {
      modified: (key) => this.touchWatched(key),
      deleted: (key) => {
        if (this.blockedOn.has(key)) this.readyKeys.add(key);
      },
    });
    this.transactionSpecs = this.transactionCommands();
    this.services = this.makeServices();
  }

  // ---- the public API -------------------------------------------------------------------

  connect(): number {
    const id = this.nextConnId++;
    this.conns.set(id, {
      id,
      authed: this.password === undefined,
      name: null,
      multi: null,
      multiError: false,
      watched: new Map(),
      casDirty: false,
      channels: new Set(),
      patterns: new Set(),
      lastCmd: 'NULL',
      blocked: null,
      closed: false,
      input: [],
    });
    return id;
  }

  /** runs one command; argv and every string of the reply are byte strings (bytes.ts: one char a byte; JS text goes in as textBytes(text)) */
  exec(connId: number, argv: string[]): ExecResult {
    const conn = this.conns.get(connId);
    if (!conn) return error('ERR connection closed');
    if (conn.blocked || conn.input.length) {
      // a blocked client's later commands wait in its input buffer, as in redis-server
      conn.input.push(argv);
      return 'blocked';
    }
    const r = this.process(conn, argv);
    this.afterCommand();
    return r;
  }

  /** false once the connection is gone (QUIT, disconnect, restart) */
  isConnected(connId: number): boolean {
    return this.conns.has(connId);
  }

  nextDeadline(): number | undefined {
    let min = this.db.nextExpiry();
    for (const c of this.conns.values()) {
      const b = c.blocked;
      if (b && b.deadline && (min === undefined || b.deadline + 1 < min)) min = b.deadline + 1;
    }
    return min;
  }

  tick(): void {
    const now = this.nowMs();
    const due = [...this.conns.values()]
      .map((c) => c.blocked)
      .filter((b): b is BlockedCommand => b !== null && b.deadline !== 0 && now > b.deadline)
      .sort((a, b) => a.deadline - b.deadline || a.seq - b.seq);
    for (const b of due) {
      this.unblock(b);
      this.served(b.conn, NIL_ARRAY);
    }
    this.db.expireDue();
    this.afterCommand();
  }

  disconnect(connId: number): void {
    const conn = this.conns.get(connId);
    if (!conn) return;
    if (conn.blocked) this.unblock(conn.blocked);
    this.unwatchAll(conn);
    for (const ch of conn.channels) this.channels.get(ch)?.delete(conn);
    conn.channels.clear();
    for (const p of conn.patterns) {
      const subs = this.patterns.get(p);
      subs?.delete(conn);
      if (subs && subs.size === 0) this.patterns.delete(p);
    }
    conn.patterns.clear();
    conn.closed = true;
    this.conns.delete(connId);
  }

  restart(): void {
    const ids = [...this.conns.keys()];
    for (const id of ids) this.disconnect(id);
    this.readyKeys.clear();
    this.scripts = new ScriptCache();
    for (const id of ids) this.onDrop(id);
  }

  /** Its keyspace emptied, as a start with no data files (no connection is open: it is called after restart). */
  erase(): void {
    this.db.clear();
    this.readyKeys.clear();
  }

  // ---- dispatch -------------------------------------------------------------------------

  private nowMs(): number {
    return Math.floor(this.clock());
  }

  private ctx(conn: ConnState, nonBlocking: boolean, inScript: boolean): Ctx {
    const raw = this.clock();
    return { db: this.db, now: Math.floor(raw), nowUs: Math.floor(raw * 1000), conn, nonBlocking, inScript, server: this.services };
  }

  /** processCommand: lookup, arity, auth, subscribe context, MULTI queueing, then the call */
  private process(conn: ConnState, argv: string[]): ExecResult {
    if (argv.length === 0) return error('ERR empty command');
    const found = this.lookup(argv);
    if (typeof found === 'string') return this.reject(conn, found);
    const { spec, fullname } = found;
    conn.lastCmd = fullname;
    const name = argv[0].toLowerCase();
    if (!arityOk(spec.arity, argv.length)) return this.rejectAs(conn, name, `ERR wrong number of arguments for '${fullname}' command`);
    if (!conn.authed && !spec.noauth) return this.rejectAs(conn, name, 'NOAUTH Authentication required.');
    if (conn.channels.size + conn.patterns.size > 0 && !spec.pubsubOk && name !== 'quit' && name !== 'reset') {
      return this.rejectAs(conn, name, `ERR Can't execute '${fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
    }
    if (conn.multi && !TRANSACTION_CONTROL.has(name)) {
      conn.multi.push(argv);
      return QUEUED;
    }
    const r = spec.handler!(this.ctx(conn, false, false), argv);
    if (typeof r === 'object' && 'kind' in r) return this.block(conn, r);
    return r;
  }

  private lookup(argv: string[]): { spec: CommandSpec; fullname: string } | string {
    // a command (or a container's subcommand) found once is found again by what the client wrote
    const plain = this.found.get(argv[0]);
    if (plain !== undefined) return plain;
    if (argv.length >= 2) {
      const sub = this.foundSub.get(argv[0])?.get(argv[1]);
      if (sub !== undefined) return sub;
    }
    const found = this.lookupSpec(argv);
    if (typeof found === 'string') return found;
    if (!found.fullname.includes('|')) {
      if (found.spec.subcommands === undefined) this.found.set(argv[0], found);
    } else {
      let subs = this.foundSub.get(argv[0]);
      if (!subs) this.foundSub.set(argv[0], (subs = new Map()));
      subs.set(argv[1], found);
    }
    return found;
  }

  private lookupSpec(argv: string[]): { spec: CommandSpec; fullname: string } | string {
    const name = argv[0].toLowerCase();
    const own = Object.prototype.hasOwnProperty;
    const spec = own.call(this.transactionSpecs, name) ? this.transactionSpecs[name] : own.call(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!spec) {
      // (as rejectCommandFormat writes it: "%.*s" of each argument, which stops at a NUL byte, and CR/LF made spaces)
      let args = '';
      for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${cString(argv[i]).slice(0, 128 - args.length)}' `;
      return `ERR unknown command '${cString(argv[0]).slice(0, 128)}', with args beginning with: ${args}`.replace(/[\r\n]/g, ' ');
    }
    if (!spec.subcommands || argv.length < 2) return { spec, fullname: name };
    const subName = argv[1].toLowerCase();
    const sub = Object.prototype.hasOwnProperty.call(spec.subcommands, subName) ? spec.subcommands[subName] : undefined;
    if (!sub) return `ERR unknown subcommand '${cString(argv[1]).slice(0, 128)}'. Try ${argv[0].toUpperCase()} HELP.`.replace(/[\r\n]/g, ' ');
    return { spec: { ...sub, noscript: sub.noscript ?? spec.noscript }, fullname: `${name}|${subName}` };
  }

  /** a command refused before it ran; a rejected EXEC aborts the transaction (execCommandAbort) */
  private rejectAs(conn: ConnState, name: string, text: string): Reply {
    return name === 'exec' ? this.abortExec(conn, text) : this.reject(conn, text);
  }

  private abortExec(conn: ConnState, text: string): Reply {
    conn.multi = null;
    conn.multiError = false;
    this.unwatchAll(conn);
    conn.casDirty = false;
    return error(`EXECABORT Transaction discarded because of: ${text.replace(/^ERR /, '')}`);
  }

  private reject(conn: ConnState, text: string): Reply {
    if (conn.multi) conn.multiError = true;
    return error(text);
  }

  /** a command run by EXEC or a script: no queueing, no blocking */
  private callNested(conn: ConnState, argv: string[], inScript: boolean): Reply {
    const found = this.lookup(argv);
    if (typeof found === 'string') return error(found);
    const r = found.spec.handler!(this.ctx(conn, true, inScript), argv);
    if (typeof r === 'object' && 'kind' in r) return NIL_ARRAY;
    if (r === 'pushed-only') return NIL; // SUBSCRIBE inside MULTI: not modelled
    return r;
  }

  /** after a top-level command: serve blocked clients whose keys got data, then their queued input */
  private afterCommand(): void {
    for (;;) {
      this.handleReadyKeys();
      const conn = this.unblocked.shift();
      if (!conn) break;
      while (conn.input.length && !conn.blocked && this.conns.has(conn.id)) {
        const argv = conn.input.shift()!;
        const r = this.process(conn, argv);
        if (r !== 'blocked' && r !== 'pushed-only') this.onPush(conn.id, r);
        this.handleReadyKeys();
      }
    }
  }

  private handleReadyKeys(): void {
    while (this.readyKeys.size) {
      const keys = [...this.readyKeys];
      this.readyKeys.clear();
      for (const key of keys) {
        const waiting = this.blockedOn.get(key);
        if (!waiting) continue;
        for (const b of [...waiting]) {
          if (b.conn.blocked !== b) continue;
          const r = b.tryServe(this.ctx(b.conn, false, false), key);
          if (r === undefined) continue;
          this.unblock(b);
          this.served(b.conn, r);
        }
      }
    }
  }

  private served(conn: ConnState, r: Reply): void {
    this.onPush(conn.id, r);
    if (conn.input.length) this.unblocked.push(conn);
  }

  private block(conn: ConnState, req: BlockRequest): 'blocked' {
    const b: BlockedCommand = { ...req, conn, deadline: req.timeoutMs ? this.nowMs() + req.timeoutMs : 0, seq: ++this.blockSeq };
    conn.blocked = b;
    for (const key of distinct(req.keys)) {
      let list = this.blockedOn.get(key);
      if (!list) this.blockedOn.set(key, (list = []));
      list.push(b);
    }
    return 'blocked';
  }

  private unblock(b: BlockedCommand): void {
    if (b.conn.blocked === b) b.conn.blocked = null;
    for (const key of distinct(b.keys)) {
      const list = this.blockedOn.get(key);
      if (!list) continue;
      const i = list.indexOf(b);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.blockedOn.delete(key);
    }
  }

  // ---- WATCH ----------------------------------------------------------------------------

  private touchWatched(key: string): void {
    const ws = this.watchers.get(key);
    if (!ws) return;
    for (const c of [...ws]) {
      const w = c.watched.get(key);
      if (w?.expiredAtWatch) {
        // the key was already expired at WATCH time: its removal is no logical change
        if (!this.db.stored(key)) {
          w.expiredAtWatch = false;
          continue;
        }
      }
      c.casDirty = true;
    }
  }

  private unwatchAll(conn: ConnState): void {
    for (const key of conn.watched.keys()) {
      const ws = this.watchers.get(key);
      ws?.delete(conn);
      if (ws && ws.size === 0) this.watchers.delete(key);
    }
    conn.watched.clear();
  }

  private transactionCommands(): Record<string, CommandSpec> {
    return {
      multi: {
        arity: 1,
        noscript: true,
        handler: (ctx) => {
          if (ctx.conn.multi) return error('ERR MULTI calls can not be nested');
          ctx.conn.multi = [];
          ctx.conn.multiError = false;
          return OK;
        },
      },
      exec: {
        arity: 1,
        noscript: true,
        handler: (ctx) => {
          const conn = ctx.conn;
          if (!conn.multi) return error('ERR EXEC without MULTI');
          const queued = conn.multi;
          const flagged = conn.multiError;
          conn.multi = null;
          conn.multiError = false;
          const expired = [...conn.watched].some(([k, w]) => !w.expiredAtWatch && this.db.stored(k) && this.db.isExpired(k));
          const dirty = conn.casDirty || expired;
          this.unwatchAll(conn);
          conn.casDirty = false;
          if (flagged) return error('EXECABORT Transaction discarded because of previous errors.');
          if (dirty) return NIL_ARRAY;
          return array(queued.map((argv) => this.callNested(conn, argv, false)));
        },
      },
      discard: {
        arity: 1,
        noscript: true,
        handler: (ctx) => {
          if (!ctx.conn.multi) return error('ERR DISCARD without MULTI');
          ctx.conn.multi = null;
          ctx.conn.multiError = false;
          this.unwatchAll(ctx.conn);
          ctx.conn.casDirty = false;
          return OK;
        },
      },
      watch: {
        arity: -2,
        noscript: true,
        handler: (ctx, argv) => {
          if (ctx.conn.multi) return error('ERR WATCH inside MULTI is not allowed');
          for (const key of argv.slice(1)) {
            if (ctx.conn.watched.has(key)) continue;
            ctx.conn.watched.set(key, { expiredAtWatch: this.db.stored(key) && this.db.isExpired(key) });
            let ws = this.watchers.get(key);
            if (!ws) this.watchers.set(key, (ws = new Set()));
            ws.add(ctx.conn);
          }
          return OK;
        },
      },
      unwatch: {
        arity: 1,
        noscript: true,
        handler: (ctx) => {
          this.unwatchAll(ctx.conn);
          ctx.conn.casDirty = false;
          return OK;
        },
      },
      quit: {
        arity: -1,
        noauth: true,
        noscript: true,
        pubsubOk: true,
        handler: (ctx) => {
          const id = ctx.conn.id;
          this.disconnect(id);
          return OK;
        },
      },
    };
  }

  // ---- services for the command modules --------------------------------------------------

  private makeServices(): ServerServices {
    const host = (ctx: Ctx) => ({ call: (argv: string[]) => this.callFromScript(ctx.conn, argv) });
    return {
      password: this.password,
      signalReady: (key) => {
        if (this.blockedOn.has(key)) this.readyKeys.add(key);
      },
      publish: (channel, message) => {
        let n = 0;
        const subs = this.channels.get(channel);
        if (subs) {
          for (const c of subs) this.onPush(c.id, array([bulk('message'), bulk(channel), bulk(message)]));
          n += subs.size;
        }
        // then pattern subscribers, pattern by pattern (in the order first subscribed: redis-server's
        // own order of patterns is its hash table's)
        for (const [pattern, psubs] of this.patterns) {
          if (!globMatch(pattern, channel)) continue;
          for (const c of psubs) this.onPush(c.id, array([bulk('pmessage'), bulk(pattern), bulk(channel), bulk(message)]));
          n += psubs.size;
        }
        return n;
      },
      subscribe: (conn, names) => this.subscribe(conn, names, false),
      unsubscribe: (conn, names) => this.unsubscribe(conn, names, false),
      psubscribe: (conn, names) => this.subscribe(conn, names, true),
      clients: () => [...this.conns.values()],
      punsubscribe: (conn, names) => this.unsubscribe(conn, names, true),
      flushAll: () => {
        for (const [key, ws] of this.watchers) {
          if (!this.db.stored(key)) continue;
          for (const c of ws) {
            const w = c.watched.get(key);
            if (w?.expiredAtWatch) w.expiredAtWatch = false;
            else c.casDirty = true;
          }
        }
        for (const key of this.blockedOn.keys()) if (this.db.stored(key)) this.readyKeys.add(key);
        this.db.clear();
      },
      eval: (ctx, body, keys, args) => this.scripts.eval(body, keys, args, host(ctx)),
      evalSha: (ctx, sha, keys, args) => this.scripts.evalSha(sha, keys, args, host(ctx)),
      scriptLoad: (body) => this.scripts.load(body),
      scriptExists: (shas) => this.scripts.exists(shas),
      scriptFlush: () => this.scripts.flush(),
      random: (n) => {
        // xorshift32 from a fixed seed
        let x = this.randomState;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        this.randomState = x >>> 0;
        return this.randomState % n;
      },
    };
  }

  /** SUBSCRIBE / PSUBSCRIBE: one reply per name, with the connection's count of channels and patterns */
  private subscribe(conn: ConnState, names: string[], pattern: boolean): void {
    const mine = pattern ? conn.patterns : conn.channels;
    const all = pattern ? this.patterns : this.channels;
    for (const name of names) {
      if (!mine.has(name)) {
        mine.add(name);
        let subs = all.get(name);
        if (!subs) all.set(name, (subs = new Set()));
        subs.add(conn);
      }
      this.onPush(conn.id, array([bulk(pattern ? 'psubscribe' : 'subscribe'), bulk(name), int(conn.channels.size + conn.patterns.size)]));
    }
  }

  /** UNSUBSCRIBE / PUNSUBSCRIBE: the names given, or all of that kind (one nil reply if none) */
  private unsubscribe(conn: ConnState, names: string[], pattern: boolean): void {
    const mine = pattern ? conn.patterns : conn.channels;
    const all = pattern ? this.patterns : this.channels;
    const kind = pattern ? 'punsubscribe' : 'unsubscribe';
    const list = names.length ? names : [...mine];
    if (list.length === 0) {
      this.onPush(conn.id, array([bulk(kind), NIL, int(conn.channels.size + conn.patterns.size)]));
      return;
    }
    for (const name of list) {
      if (mine.delete(name)) {
        const subs = all.get(name);
        subs?.delete(conn);
        if (subs && subs.size === 0) all.delete(name);
      }
      this.onPush(conn.id, array([bulk(kind), bulk(name), int(conn.channels.size + conn.patterns.size)]));
    }
  }

  private callFromScript(conn: ConnState, argv: string[]): Reply {
    const found = this.lookup(argv);
    if (typeof found === 'string') return error('ERR Unknown Redis command called from script');
    if (!arityOk(found.spec.arity, argv.length)) return error('ERR Wrong number of args calling Redis command from script');
    if (found.spec.noscript) return error('ERR This Redis command is not allowed from script');
    return this.callNested(conn, argv, true);
  }
}
