// What a command handler sees: the data, the virtual time, its connection, and the engine's
// services (signalling blocked clients, pub/sub, scripts). Shared by the command modules.

import type { Keyspace } from './keyspace.ts';
import type { Reply } from './reply.ts';

export interface ConnState {
  readonly id: number;
  authed: boolean;
  name: string | null;
  /** queued commands while in MULTI, else null */
  multi: string[][] | null;
  /** a command was rejected while queueing: EXEC answers EXECABORT */
  multiError: boolean;
  /** WATCHed keys; the flag says whether the key was already logically expired at WATCH time */
  watched: Map<string, { expiredAtWatch: boolean }>;
  /** a WATCHed key was touched */
  casDirty: boolean;
  channels: Set<string>;
  /** PSUBSCRIBE patterns */
  patterns: Set<string>;
  /** the last command looked up for it, as CLIENT LIST names it ('client|list') */
  lastCmd: string;
  blocked: BlockedCommand | null;
  /** commands that arrived while blocked: they run once it is served, as from redis-server's input buffer */
  input: string[][];
  closed: boolean;
}

/** a command that waits for data: the engine parks it on its keys */
export interface BlockRequest {
  kind: 'block';
  keys: string[];
  /** relative ms, 0 = forever */
  timeoutMs: number;
  /** reply if the command can now be served from key, else undefined (stays blocked) */
  tryServe(ctx: Ctx, key: string): Reply | undefined;
}

export interface BlockedCommand extends BlockRequest {
  conn: ConnState;
  /** absolute virtual ms after which it times out (served when the integer clock is past it); 0 = never */
  deadline: number;
  /** blocking order, for FIFO wake-ups */
  seq: number;
}

export interface Ctx {
  readonly db: Keyspace;
  /** virtual ms, integer (as Redis's mstime) */
  readonly now: number;
  /** virtual µs, integer (TIME) */
  readonly nowUs: number;
  readonly conn: ConnState;
  /** inside MULTI/EXEC or a script: blocking commands answer at once */
  readonly nonBlocking: boolean;
  readonly inScript: boolean;
  readonly server: ServerServices;
}

export interface ServerServices {
  readonly password: string | undefined;
  /** a write that may serve blocked clients (LPUSH, XADD, XGROUP DESTROY ...) */
  signalReady(key: string): void;
  /** PUBLISH: pushes the message to every subscriber, returns how many */
  publish(channel: string, message: string): number;
  subscribe(conn: ConnState, channels: string[]): void;
  unsubscribe(conn: ConnState, channels: string[]): void;
  psubscribe(conn: ConnState, patterns: string[]): void;
  /** the open connections, in the order they connected */
  clients(): ConnState[];
  punsubscribe(conn: ConnState, patterns: string[]): void;
  flushAll(): void;
  eval(ctx: Ctx, body: string, keys: string[], args: string[]): Reply;
  evalSha(ctx: Ctx, sha: string, keys: string[], args: string[]): Reply;
  scriptLoad(body: string): Reply;
  scriptExists(shas: string[]): Reply;
  scriptFlush(): void;
  /** a pseudo-random integer in [0, n), from a fixed seed (SPOP, SRANDMEMBER, HRANDFIELD): the same calls, the same picks */
  random(n: number): number;
}

export type Handler = (ctx: Ctx, argv: string[]) => Reply | BlockRequest | 'pushed-only';

export interface CommandSpec {
  /** Redis arity: n = exactly n args (command included), -n = at least n */
  arity: number;
  handler?: Handler;
  /** container command (XGROUP, XINFO, SCRIPT, CLIENT): its subcommands by lower-case name */
  subcommands?: Record<string, CommandSpec>;
  /** refused inside scripts ("This Redis command is not allowed from script") */
  noscript?: boolean;
  /** runs without AUTH */
  noauth?: boolean;
  /** allowed in RESP2 subscribe mode */
  pubsubOk?: boolean;
}

export const arityOk = (arity: number, argc: number): boolean => (arity >= 0 ? argc === arity : argc >= -arity);
