// The data of the simulated Redis: one database of typed values, each key with an optional
// expiry on the virtual clock. A key whose expiry has passed is gone for every reader
// (lazy expiry, as redis-server does on access) and is removed for good by `expireDue`
// (active expiry, driven by the engine's tick).

import type { Stream } from './streams.ts';
import type { ZSet } from './zset-commands.ts';

export type Value =
  | { type: 'string'; v: string }
  | { type: 'hash'; v: Map<string, string> }
  | { type: 'set'; v: Set<string> }
  | { type: 'list'; v: string[] }
  | { type: 'stream'; v: Stream }
  | { type: 'zset'; v: ZSet };

export type ValueType = Value['type'];

export interface KeyspaceEvents {
  /** a key's value changed or it was removed (WATCH dirties, like signalModifiedKey) */
  modified(key: string): void;
  /** a key was removed or replaced by another type (blocked stream readers must hear of it) */
  deleted(key: string): void;
}

export class Keyspace {
  private readonly data = new Map<string, Value>();
  /** absolute virtual ms; a key is expired once the integer clock is past it (as Redis: now > when) */
  private readonly expires = new Map<string, number>();

  constructor(
    private readonly nowMs: () => number,
    private readonly events: KeyspaceEvents,
  ) {}

  /** the value, unless absent or expired (an expired key is removed now and its removal signalled) */
  get(key: string): Value | undefined {
    const v = this.data.get(key);
    if (v === undefined) return undefined;
    if (this.isExpired(key)) {
      this.removeExpired(key);
      return undefined;
    }
    return v;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** the key is in the dictionary, expired or not (FLUSHALL and WATCH look at this) */
  stored(key: string): boolean {
    return this.data.has(key);
  }

  isExpired(key: string): boolean {
    const when = this.expires.get(key);
    return when !== undefined && this.nowMs() > when;
  }

  /** store a new value for key (drops the TTL, like SET); `keepTtl` keeps it */
  set(key: string, value: Value, keepTtl = false): void {
    const old = this.get(key);
    this.data.set(key, value);
    if (!keepTtl) this.expires.delete(key);
    if (old !== undefined && old.type !== value.type) this.events.deleted(key);
    this.events.modified(key);
  }

  /** insert a freshly created container value (the caller signals the write) */
  create(key: string, value: Value): void {
    this.data.set(key, value);
    this.expires.delete(key);
  }

  delete(key: string): boolean {
    if (this.get(key) === undefined) return false;
    this.data.delete(key);
    this.expires.delete(key);
    this.events.deleted(key);
    this.events.modified(key);
    return true;
  }

  /** remove a container emptied by a command (HDEL of the last field ...) */
  deleteIfEmpty(key: string): void {
    const v = this.data.get(key);
    if (!v) return;
    const empty =
      (v.type === 'hash' && v.v.size === 0) ||
      (v.type === 'set' && v.v.size === 0) ||
      (v.type === 'list' && v.v.length === 0) ||
      (v.type === 'zset' && v.v.size === 0);
    if (empty) {
      this.data.delete(key);
      this.expires.delete(key);
      this.events.deleted(key);
    }
  }

  /** an in-place change (a field, a TTL): WATCH must see it */
  touch(key: string): void {
    this.events.modified(key);
  }

  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  setExpire(key: string, when: number): void {
    this.expires.set(key, when);
  }

  persist(key: string): boolean {
    return this.expires.delete(key);
  }

  /** live keys, in insertion order */
  keys(): string[] {
    const out: string[] = [];
    for (const k of this.data.keys()) if (!this.isExpired(k)) out.push(k);
    return out;
  }

  /** all keys in the dictionary, expired ones too */
  storedKeys(): string[] {
    return [...this.data.keys()];
  }

  size(): number {
    return this.keys().length;
  }

  clear(): void {
    this.data.clear();
    this.expires.clear();
  }

  /** the earliest virtual time at which a key expires (the first integer ms past its expiry) */
  nextExpiry(): number | undefined {
    let min: number | undefined;
    for (const when of this.expires.values()) if (min === undefined || when < min) min = when;
    return min === undefined ? undefined : min + 1;
  }

  /** active expiry: remove every key whose time has passed */
  expireDue(): void {
    for (const k of [...this.expires.keys()]) if (this.isExpired(k)) this.removeExpired(k);
  }

  private removeExpired(key: string): void {
    this.data.delete(key);
    this.expires.delete(key);
    this.events.deleted(key);
    this.events.modified(key);
  }
}
