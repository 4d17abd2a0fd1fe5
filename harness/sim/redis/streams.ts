// Streams and consumer groups as Redis 7.0 keeps them: entries in id order, a group's
// last-delivered id and logical read counter, the group's pending entries list (PEL) and
// each consumer's share of it. Command parsing and replies are in stream-commands.ts.

import { compareBytes } from './bytes.ts';

export interface StreamId {
  ms: number;
  seq: number;
}

export interface StreamEntry {
  id: StreamId;
  /** field, value, field, value ... */
  fields: string[];
}

export interface PendingEntry {
  id: StreamId;
  consumer: Consumer;
  deliveryTime: number;
  deliveryCount: number;
}

export interface Consumer {
  name: string;
  seenTime: number;
  /** this consumer's pending entries, in id order (the same objects as in the group's PEL) */
  pel: PendingEntry[];
}

export interface ConsumerGroup {
  name: string;
  lastId: StreamId;
  /** logical count of entries read by the group; -1 when unknown (SCG_INVALID_ENTRIES_READ) */
  entriesRead: number;
  pel: PendingEntry[];
  consumers: Map<string, Consumer>;
}

/** 2^64-1, the largest part of an id (as a double: ids that large lose precision in the model) */
export const U64_MAX = 18446744073709551615;
export const ZERO_ID: StreamId = { ms: 0, seq: 0 };
export const MAX_ID: StreamId = { ms: U64_MAX, seq: U64_MAX };
export const INVALID_ENTRIES_READ = -1;

export const compareIds = (a: StreamId, b: StreamId): number => (a.ms !== b.ms ? (a.ms < b.ms ? -1 : 1) : a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1);
export const formatId = (id: StreamId): string => `${fmtU64(id.ms)}-${fmtU64(id.seq)}`;
const isZero = (id: StreamId) => id.ms === 0 && id.seq === 0;

function fmtU64(n: number): string {
  return n >= U64_MAX ? '18446744073709551615' : Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

const U64_MAX_BIG = 18446744073709551615n;
/** an unsigned 64-bit decimal, or undefined (Redis's string2ull, which falls back on strtoull) */
export function parseU64(s: string): number | undefined {
  if (/^(0|[1-9]\d{0,14})$/.test(s)) return Number(s);
  const m = /^[\t\n\v\f\r ]*\+?(\d+)$/.exec(s);
  if (!m) return undefined;
  const b = BigInt(m[1]);
  return b > U64_MAX_BIG ? undefined : Number(b);
}

/**
 * Redis's streamParseID: "ms-seq" or "ms" (seq = missingSeq), '-' and '+' when allowed.
 * Returns undefined for an invalid id.
 */
export function parseId(s: string, missingSeq: number, allowMinMax = false): StreamId | undefined {
  if (s.length > 127) return undefined;
  if (allowMinMax && s.length === 1) {
    if (s === '-') return ZERO_ID;
    if (s === '+') return MAX_ID;
  }
  const dash = s.indexOf('-');
  if (dash < 0) {
    const ms = parseU64(s);
    return ms === undefined ? undefined : { ms, seq: missingSeq };
  }
  const ms = parseU64(s.slice(0, dash));
  const seq = parseU64(s.slice(dash + 1));
  return ms === undefined || seq === undefined ? undefined : { ms, seq };
}

/** the next id (streamIncrID); undefined past the largest */
export function incrId(id: StreamId): StreamId | undefined {
  if (id.seq >= U64_MAX) return id.ms >= U64_MAX ? undefined : { ms: id.ms + 1, seq: 0 };
  return { ms: id.ms, seq: id.seq + 1 };
}

/** the previous id (streamDecrID); undefined before 0-0 */
export function decrId(id: StreamId): StreamId | undefined {
  if (id.seq === 0) return id.ms === 0 ? undefined : { ms: id.ms - 1, seq: U64_MAX };
  return { ms: id.ms, seq: id.seq - 1 };
}

/** index of the first element whose id is >= id (arrays kept in id order) */
function lowerBound<T extends { id: StreamId }>(arr: readonly T[], id: StreamId): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareIds(arr[mid].id, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function findSorted<T extends { id: StreamId }>(arr: readonly T[], id: StreamId): number {
  const i = lowerBound(arr, id);
  return i < arr.length && compareIds(arr[i].id, id) === 0 ? i : -1;
}

function insertSorted<T extends { id: StreamId }>(arr: T[], item: T): void {
  const i = lowerBound(arr, item.id);
  if (i === arr.length) arr.push(item);
  else arr.splice(i, 0, item);
}

function removeSorted<T extends { id: StreamId }>(arr: T[], id: StreamId): void {
  const i = findSorted(arr, id);
  if (i >= 0) arr.splice(i, 1);
}

/**
 * redis-server keeps a stream's entries in radix-tree nodes, each a listpack that takes new
 * entries until it holds 100 (stream-node-max-entries; deleted entries keep their place until the
 * node goes) or until the next entry's fields and values would bring it to 4096 bytes
 * (stream-node-max-bytes). An approximate trim (~) removes whole nodes only, so the model keeps
 * each node's entry count and its listpack's size in bytes, computed as listpack encodes:
 * a master entry (count, deleted, the first entry's field names), then per entry its flags, id
 * offsets from the master id, its field names unless they are the master's, its values, and its
 * element count.
 */
const NODE_MAX_ENTRIES = 100;
const NODE_MAX_BYTES = 4096;

interface StreamNode {
  /** entries not deleted */
  live: number;
  /** entries ever appended to it, deleted ones included */
  total: number;
  /** the listpack's size */
  bytes: number;
  masterId: StreamId;
  masterFields: string[];
}

/** a listpack element's back-length: how many bytes encode its length */
const backlen = (l: number): number => (l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5);

/** an integer element (the smallest of listpack's 7, 13, 16, 24, 32 and 64-bit encodings), back-length included */
function intElement(v: number | bigint): number {
  const n = BigInt(v);
  const enc = n >= 0n && n <= 127n ? 1 : n >= -4096n && n <= 4095n ? 2 : n >= -32768n && n <= 32767n ? 3 : n >= -8388608n && n <= 8388607n ? 4 : n >= -2147483648n && n <= 2147483647n ? 5 : 9;
  return enc + 1;
}

/** a string element: stored as an integer when it is one (lpStringToInt64), else by length */
function stringElement(s: string): number {
  if (s.length > 0 && s.length <= 20 && /^(0|-?[1-9][0-9]*)$/.test(s)) {
    const n = BigInt(s);
    if (n >= -9223372036854775808n && n <= 9223372036854775807n) return intElement(n);
  }
  const len = s.length; // a byte string: one char a byte (bytes.ts)
  const enc = len <= 63 ? 1 + len : len <= 4095 ? 2 + len : 5 + len;
  return enc + backlen(enc);
}

/** 6 header bytes, 1 end byte, and the master entry: count, deleted, field count, fields, 0 */
function newNodeBytes(fieldNames: string[]): number {
  return 7 + intElement(1) + intElement(0) + intElement(fieldNames.length) + fieldNames.reduce((n, f) => n + stringElement(f), 0) + intElement(0);
}

/** a U64 id part as an exact integer, for the difference from the master id */
const big = (n: number): bigint => (Number.isSafeInteger(n) ? BigInt(n) : BigInt(Math.round(n)));

export class Stream {
  entries: StreamEntry[] = [];
  /** the nodes, oldest first; node k holds the next `live` entries of `entries` */
  private readonly nodes: StreamNode[] = [];
  lastId: StreamId = ZERO_ID;
  maxDeletedId: StreamId = ZERO_ID;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();

  get length(): number {
    return this.entries.length;
  }

  /** how many nodes (listpacks) hold the entries: XINFO STREAM's radix-tree-keys */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /**
   * XINFO STREAM's radix-tree-nodes: the nodes of a compressed radix tree (rax) over the nodes'
   * keys, each master id as 16 big-endian bytes: the head, one node per branch, one per run of
   * single-child bytes, one per key end.
   */
  get radixTreeNodes(): number {
    const keyOf = (id: StreamId): number[] => {
      const bytes: number[] = [];
      for (const part of [big(id.ms), big(id.seq)]) for (let i = 7; i >= 0; i--) bytes.push(Number((part >> BigInt(i * 8)) & 0xffn));
      return bytes;
    };
    const keys = this.nodes.map((n) => keyOf(n.masterId));
    const count = (group: number[][], depth: number): number => {
      if (group.length === 0 || depth === 16) return 1;
      let d = depth;
      // a run of bytes every key shares is one compressed node
      while (d < 16 && group.every((k) => k[d] === group[0][d])) d++;
      if (d > depth) return 1 + count(group, d);
      const byByte = new Map<number, number[][]>();
      for (const k of group) {
        const g = byByte.get(k[d]);
        if (g) g.push(k);
        else byByte.set(k[d], [k]);
      }
      let n = 1;
      for (const g of byByte.values()) n += count(g, d + 1);
      return n;
    };
    return count(keys, 0);
  }

  get firstId(): StreamId {
    return this.entries.length ? this.entries[0].id : ZERO_ID;
  }

  /** the id XADD would give to `*` (or to "ms-*" when ms is given); undefined if none is left */
  nextId(nowMs: number, explicitMs?: number): StreamId | undefined {
    const last = this.lastId;
    if (explicitMs !== undefined) {
      if (explicitMs > last.ms) return { ms: explicitMs, seq: 0 };
      if (explicitMs === last.ms) return last.seq >= U64_MAX ? undefined : { ms: explicitMs, seq: last.seq + 1 };
      return undefined;
    }
    if (nowMs > last.ms) return { ms: nowMs, seq: 0 };
    return incrId(last);
  }

  append(id: StreamId, fields: string[]): void {
    this.entries.push({ id, fields });
    this.lastId = id;
    this.entriesAdded++;
    const names = fields.filter((_, i) => i % 2 === 0);
    const values = fields.filter((_, i) => i % 2 === 1);
    const totelelen = fields.reduce((n, f) => n + f.length, 0); // byte strings: their lengths are their bytes
    let node = this.nodes[this.nodes.length - 1];
    if (node === undefined || node.bytes + totelelen >= NODE_MAX_BYTES || node.total >= NODE_MAX_ENTRIES) {
      node = { live: 0, total: 0, bytes: newNodeBytes(names), masterId: id, masterFields: names };
      this.nodes.push(node);
    }
    node.live++;
    node.total++;
    const same = names.length === node.masterFields.length && names.every((f, i) => f === node.masterFields[i]);
    node.bytes +=
      intElement(same ? 2 : 0) +
      intElement(big(id.ms) - big(node.masterId.ms)) +
      intElement(big(id.seq) - big(node.masterId.seq)) +
      (same ? 0 : intElement(names.length) + names.reduce((n, f) => n + stringElement(f), 0)) +
      values.reduce((n, v) => n + stringElement(v), 0) +
      intElement(same ? names.length + 3 : names.length * 2 + 4);
  }

  /**
   * streamTrim: whole nodes from the oldest while what is left still reaches the threshold (and
   * `limit`, when not 0, is not passed); then, unless approximate, the oldest entries of the next
   * node one by one. Returns how many entries went.
   */
  trim(how: { maxLen: number } | { minId: StreamId }, approx: boolean, limit: number): number {
    let deleted = 0;
    while (this.nodes.length) {
      if ('maxLen' in how && this.entries.length <= how.maxLen) break;
      const node = this.nodes[0];
      if (limit && deleted + node.live > limit) break;
      const removeNode = 'maxLen' in how ? this.entries.length - node.live >= how.maxLen : compareIds(this.entries[node.live - 1].id, how.minId) < 0;
      if (removeNode) {
        this.entries.splice(0, node.live);
        this.nodes.shift();
        deleted += node.live;
        continue;
      }
      if (approx) break;
      const k = 'maxLen' in how ? this.entries.length - how.maxLen : lowerBound(this.entries, how.minId);
      this.entries.splice(0, k);
      node.live -= k;
      deleted += k;
      break;
    }
    return deleted;
  }

  entry(id: StreamId): StreamEntry | undefined {
    const i = findSorted(this.entries, id);
    return i < 0 ? undefined : this.entries[i];
  }

  /** XDEL: removes the entries that exist, returns how many */
  delete(ids: StreamId[]): number {
    let n = 0;
    for (const id of ids) {
      const i = findSorted(this.entries, id);
      if (i < 0) continue;
      this.entries.splice(i, 1);
      this.nodeRemoved(i);
      n++;
      if (compareIds(id, this.maxDeletedId) > 0) this.maxDeletedId = id;
    }
    return n;
  }

  /** the entry at index i was deleted: its node loses it, and goes when it has none left */
  private nodeRemoved(i: number): void {
    let at = 0;
    for (let k = 0; k < this.nodes.length; k++) {
      const node = this.nodes[k];
      if (i < at + node.live) {
        node.live--;
        if (node.live === 0) this.nodes.splice(k, 1);
        return;
      }
      at += node.live;
    }
  }

  /** entries with start <= id <= end, in order (or reversed), at most count (0 = all) */
  range(start: StreamId, end: StreamId, count: number, rev = false): StreamEntry[] {
    if (compareIds(start, end) > 0) return [];
    const out: StreamEntry[] = [];
    if (!rev) {
      for (let i = lowerBound(this.entries, start); i < this.entries.length; i++) {
        const e = this.entries[i];
        if (compareIds(e.id, end) > 0) break;
        out.push(e);
        if (count > 0 && out.length >= count) break;
      }
    } else {
      let i = lowerBound(this.entries, end);
      if (i < this.entries.length && compareIds(this.entries[i].id, end) === 0) i++;
      for (i = i - 1; i >= 0; i--) {
        const e = this.entries[i];
        if (compareIds(e.id, start) < 0) break;
        out.push(e);
        if (count > 0 && out.length >= count) break;
      }
    }
    return out;
  }

  // ---- consumer groups -------------------------------------------------------------

  createGroup(name: string, lastId: StreamId, entriesRead: number): ConsumerGroup | undefined {
    if (this.groups.has(name)) return undefined;
    const g: ConsumerGroup = { name, lastId, entriesRead, pel: [], consumers: new Map() };
    this.groups.set(name, g);
    return g;
  }

  /** the consumer, created if missing; its seen time refreshed */
  consumer(group: ConsumerGroup, name: string, nowMs: number): { consumer: Consumer; created: boolean } {
    let c = group.consumers.get(name);
    const created = c === undefined;
    if (!c) {
      c = { name, seenTime: nowMs, pel: [] };
      group.consumers.set(name, c);
    }
    c.seenTime = nowMs;
    return { consumer: c, created };
  }

  /** XGROUP DELCONSUMER: the consumer's pending entries leave the group's PEL too */
  deleteConsumer(group: ConsumerGroup, name: string): number | undefined {
    const c = group.consumers.get(name);
    if (!c) return undefined;
    for (const p of c.pel) removeSorted(group.pel, p.id);
    group.consumers.delete(name);
    return c.pel.length;
  }

  /**
   * XREADGROUP with '>': new entries after the group's last id, delivered to the consumer
   * (into the PEL unless noack); advances the group's last id and read counter.
   */
  readNew(group: ConsumerGroup, consumer: Consumer, count: number, noack: boolean, nowMs: number): StreamEntry[] {
    const start = incrId(group.lastId);
    if (!start) return [];
    const entries = this.range(start, MAX_ID, count);
    for (const e of entries) {
      this.advanceGroup(group, e.id);
      if (noack) continue;
      const existing = findSorted(group.pel, e.id);
      if (existing >= 0) {
        // an id already pending (the group's last id was moved back with SETID): it changes owner
        const p = group.pel[existing];
        removeSorted(p.consumer.pel, p.id);
        p.consumer = consumer;
        p.deliveryTime = nowMs;
        p.deliveryCount = 1;
        insertSorted(consumer.pel, p);
      } else {
        const p: PendingEntry = { id: e.id, consumer, deliveryTime: nowMs, deliveryCount: 1 };
        insertSorted(group.pel, p);
        insertSorted(consumer.pel, p);
      }
    }
    return entries;
  }

  /** the group's last id moves to id; the read counter follows as Redis 7.0 keeps it */
  private advanceGroup(group: ConsumerGroup, id: StreamId): void {
    if (compareIds(id, group.lastId) <= 0) return;
    if (group.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(id, undefined)) group.entriesRead++;
    else if (this.entriesAdded) group.entriesRead = this.estimateDistanceFromFirstEverEntry(id);
    group.lastId = id;
  }

  /**
   * XREADGROUP with an explicit id: the consumer's own pending entries after it; an entry
   * deleted from the stream comes back with nil fields. Delivery time and count are bumped
   * for entries that still exist.
   */
  readHistory(consumer: Consumer, after: StreamId, count: number, nowMs: number): Array<{ id: StreamId; fields: string[] | null }> {
    const out: Array<{ id: StreamId; fields: string[] | null }> = [];
    const start = incrId(after);
    if (!start) return out;
    for (let i = lowerBound(consumer.pel, start); i < consumer.pel.length; i++) {
      const p = consumer.pel[i];
      const e = this.entry(p.id);
      if (e) {
        p.deliveryTime = nowMs;
        p.deliveryCount++;
        out.push({ id: p.id, fields: e.fields });
      } else {
        out.push({ id: p.id, fields: null });
      }
      if (count > 0 && out.length >= count) break;
    }
    return out;
  }

  ack(group: ConsumerGroup, ids: StreamId[]): number {
    let n = 0;
    for (const id of ids) {
      const i = findSorted(group.pel, id);
      if (i < 0) continue;
      const p = group.pel[i];
      group.pel.splice(i, 1);
      removeSorted(p.consumer.pel, id);
      n++;
    }
    return n;
  }

  pendingRange(group: ConsumerGroup, start: StreamId, end: StreamId, count: number, consumer?: Consumer, minIdle = 0, nowMs = 0): PendingEntry[] {
    const pel = consumer ? consumer.pel : group.pel;
    const out: PendingEntry[] = [];
    if (count <= 0) return out;
    for (let i = lowerBound(pel, start); i < pel.length && out.length < count; i++) {
      const p = pel[i];
      if (compareIds(p.id, end) > 0) break;
      if (minIdle && nowMs - p.deliveryTime < minIdle) continue;
      out.push(p);
    }
    return out;
  }

  pendingEntry(group: ConsumerGroup, id: StreamId): PendingEntry | undefined {
    const i = findSorted(group.pel, id);
    return i < 0 ? undefined : group.pel[i];
  }

  /** move a pending entry to consumer (or create it, for XCLAIM FORCE) */
  assign(group: ConsumerGroup, p: PendingEntry, consumer: Consumer): void {
    if (p.consumer === consumer) return;
    removeSorted(p.consumer.pel, p.id);
    p.consumer = consumer;
    insertSorted(consumer.pel, p);
  }

  addPending(group: ConsumerGroup, id: StreamId, consumer: Consumer, nowMs: number): PendingEntry {
    const p: PendingEntry = { id, consumer, deliveryTime: nowMs, deliveryCount: 1 }; // streamCreateNACK counts one delivery
    insertSorted(group.pel, p);
    insertSorted(consumer.pel, p);
    return p;
  }

  /** an entry gone from the stream leaves the PEL (XCLAIM and XAUTOCLAIM do this in 7.0) */
  dropPending(group: ConsumerGroup, p: PendingEntry): void {
    removeSorted(group.pel, p.id);
    removeSorted(p.consumer.pel, p.id);
  }

  /** group PEL entries from start on (XAUTOCLAIM's scan) */
  pelFrom(group: ConsumerGroup, start: StreamId): number {
    return lowerBound(group.pel, start);
  }

  // ---- the 7.0 lag bookkeeping -------------------------------------------------------

  rangeHasTombstones(start: StreamId | undefined, end: StreamId | undefined): boolean {
    if (!this.length || isZero(this.maxDeletedId)) return false;
    if (compareIds(this.firstId, this.maxDeletedId) > 0) return false;
    const s = start ?? ZERO_ID;
    const e = end ?? MAX_ID;
    return compareIds(s, this.maxDeletedId) <= 0 && compareIds(this.maxDeletedId, e) <= 0;
  }

  estimateDistanceFromFirstEverEntry(id: StreamId): number {
    if (!this.entriesAdded) return 0;
    if (!this.length && compareIds(id, this.lastId) < 1) return this.entriesAdded;
    const cmpLast = compareIds(id, this.lastId);
    if (cmpLast === 0) return this.entriesAdded;
    if (cmpLast > 0) return INVALID_ENTRIES_READ;
    const cmpIdFirst = compareIds(id, this.firstId);
    const cmpXdelFirst = compareIds(this.maxDeletedId, this.firstId);
    if (isZero(this.maxDeletedId) || cmpXdelFirst < 0) {
      if (cmpIdFirst < 0) return this.entriesAdded - this.length;
      if (cmpIdFirst === 0) return this.entriesAdded - this.length + 1;
    }
    return INVALID_ENTRIES_READ;
  }

  /** XINFO GROUPS lag, or null when it cannot be known */
  lag(group: ConsumerGroup): number | null {
    if (!this.entriesAdded) return 0;
    if (group.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(group.lastId, undefined)) {
      return this.entriesAdded - group.entriesRead;
    }
    const read = this.estimateDistanceFromFirstEverEntry(group.lastId);
    return read === INVALID_ENTRIES_READ ? null : this.entriesAdded - read;
  }

  /** a deep copy (a restart reloads the data, so nothing may be shared with the old server) */
  clone(): Stream {
    const s = new Stream();
    s.entries = this.entries.map((e) => ({ id: e.id, fields: [...e.fields] }));
    // the nodes as they were (an RDB keeps each node's listpack as it is)
    for (const n of this.nodes) s.nodes.push({ ...n, masterFields: [...n.masterFields] });
    s.lastId = this.lastId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    for (const g of this.groups.values()) {
      const ng: ConsumerGroup = { name: g.name, lastId: g.lastId, entriesRead: g.entriesRead, pel: [], consumers: new Map() };
      for (const c of g.consumers.values()) ng.consumers.set(c.name, { name: c.name, seenTime: c.seenTime, pel: [] });
      for (const p of g.pel) {
        const c = ng.consumers.get(p.consumer.name)!;
        const np: PendingEntry = { id: p.id, consumer: c, deliveryTime: p.deliveryTime, deliveryCount: p.deliveryCount };
        ng.pel.push(np);
        c.pel.push(np);
      }
      s.groups.set(g.name, ng);
    }
    return s;
  }
}

/** rax order of names (bytewise), as XINFO and XPENDING list groups and consumers */
export function byName<T extends { name: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => compareBytes(a.name, b.name));
}
