// What the differential tests share: a raw RESP2 client of a real redis-server, a SimRedis
// connection of the same shape, and one real redis-server per test file. Arguments and replies
// are byte strings on both (one char a byte, as the engine keeps them: bytes.ts), so that replies
// compare byte for byte; `textBytes` makes one of a JS text (its UTF-8).
import net from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import { REDIS, requireBinary } from '../../harness/env/binaries.ts';
import { ProcessRegistry } from '../../harness/env/processes.ts';
import { RedisServer } from '../../harness/env/redis.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import type { Reply } from '../../harness/sim/redis/reply.ts';
import { encodeRequest, ReplyParser } from '../../harness/sim/redis/resp.ts';

/** A raw RESP2 client: replies exactly as the server sent them (ioredis would blur status and bulk), strings as byte strings. */
export class RawClient {
  private readonly parser = new ReplyParser();
  private readonly received: Reply[] = [];
  private readonly waiting: Array<(r: Reply) => void> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      for (const r of this.parser.feed(d)) {
        const w = this.waiting.shift();
        if (w) w(r);
        else this.received.push(r);
      }
    });
  }

  static async connect(port: number, password: string): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new RawClient(socket);
    expect(await c.send(['AUTH', password])).toEqual({ t: 'status', v: 'OK' });
    return c;
  }

  /** the next reply (or push) this connection receives */
  next(): Promise<Reply> {
    const r = this.received.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** writes a command whose arguments are byte strings: exactly their bytes */
  write(argv: string[]): void {
    this.socket.write(Buffer.from(encodeRequest(argv), 'latin1'));
  }

  send(argv: string[]): Promise<Reply> {
    this.write(argv);
    return this.next();
  }

  /** nothing arrived (within a short wait): a blocked command is still blocked */
  async idle(ms = 40): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.received.length === 0;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** a SimRedis connection with the same shape as RawClient */
export class SimClient {
  private readonly received: Reply[] = [];
  readonly id: number;
  constructor(private readonly sim: SimRedis, pushes: Map<number, SimClient>) {
    this.id = sim.connect();
    pushes.set(this.id, this);
  }
  push(r: Reply): void {
    this.received.push(r);
  }
  send(argv: string[]): Reply | undefined {
    const r = this.sim.exec(this.id, argv);
    if (typeof r === 'object') return r;
    return this.received.shift();
  }
  write(argv: string[]): void {
    const r = this.sim.exec(this.id, argv);
    if (typeof r === 'object') this.received.push(r);
  }
  next(): Reply | undefined {
    return this.received.shift();
  }
  idle(): boolean {
    return this.received.length === 0;
  }
}

/** a fresh SimRedis and a maker of its connections (pushes reach the connection they are for) */
export function newSim(now: () => number, password?: string): { sim: SimRedis; client: () => SimClient } {
  const sim = new SimRedis({ now, password });
  const clients = new Map<number, SimClient>();
  sim.onPush = (conn, r) => clients.get(conn)?.push(r);
  return { sim, client: () => new SimClient(sim, clients) };
}

/**
 * One real redis-server for the calling test file (started in its beforeAll, stopped in its
 * afterAll), with a raw client on it: read `server` and `real` inside the tests.
 */
export function realRedis(): { readonly server: RedisServer; readonly real: RawClient } {
  const registry = new ProcessRegistry();
  const state = {} as { server: RedisServer; real: RawClient };
  beforeAll(async () => {
    state.server = await RedisServer.start({ bin: requireBinary(REDIS), registry, aof: false });
    state.real = await RawClient.connect(state.server.port, state.server.password);
  });
  afterAll(async () => {
    state.real?.close();
    await state.server?.stop();
    await registry.stopAll(1000);
  });
  return state;
}
