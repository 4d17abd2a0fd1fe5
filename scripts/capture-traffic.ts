// Captures what a queue library really sends to Redis, for the captured-traffic differential test
// (test/sim/library-traffic.test.ts): each library's two roles (examples/<library>/roles.ts: a
// front door and workers) run live against a redis-server of their own while a MONITOR connection
// records every command it receives.
//
//   npx tsx scripts/capture-traffic.ts [bullmq bull bee-queue] [--out DIR]
//
// writes test/sim/fixtures/traffic-<library>.json (or DIR/traffic-<library>.json). The workload, the same for each library: a
// task of three quick jobs (one with non-ASCII output), a failing job, a job that hangs past its
// timeout, the first task submitted again (an idempotent resubmit), each task read back; then a
// long job whose worker crashes while it runs, and a second worker that takes it over once its
// lease has run out (stall recovery); then everything closes. Then a tour of the library's own
// queue API on a queue of its own (see `tour`), for the scripts the application never runs.
//
// What is kept: top-level commands in the order redis-server ran them, each with the connection
// it came on (a small number per client address). Commands run by scripts (MONITOR's "[0 lua]")
// are left out: the scripts run again when replayed. AUTH is left out (MONITOR shows its password
// redacted; the replay's connections are authenticated already). Script bodies (EVAL, SCRIPT LOAD)
// are kept once each, under their SHA1, in `scripts`; an argument that stands for one is
// {"script": sha1}. Other arguments are their text when their bytes are UTF-8, else {"b64": ...}.
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { dialPort, type Dial, type FrontDoor, type RoleOptions, type Subtask } from '../examples/common/app.ts';
import { REDIS, requireBinary } from '../harness/env/binaries.ts';
import { ProcessRegistry } from '../harness/env/processes.ts';
import { RedisServer } from '../harness/env/redis.ts';
import { encodeRequest, ReplyParser } from '../harness/sim/redis/resp.ts';

const LIBRARIES = ['bullmq', 'bull', 'bee-queue'] as const;
type Library = (typeof LIBRARIES)[number];
/** at most this many commands are kept (a prefix), so the fixture stays small */
const MAX_COMMANDS = 4000;
const LEASE_MS = 4000;

interface Role {
  close(): Promise<void>;
  /** (Bull's roles have none: its connections are cut instead, as the simulation cuts a killed process's) */
  crash?(): void;
}
interface Roles {
  startProducer(o: RoleOptions): Promise<Role & { door: FrontDoor }>;
  startWorker(o: RoleOptions & { leaseMs: number; concurrency: number }): Promise<Role>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One MONITOR line decoded: `<time> [<db> <source>] "arg" ...`, each argument quoted as
 * redis-server's sdscatrepr writes it (\\ \" \n \r \t \a \b, \xHH for other unprintable bytes).
 * Arguments come back as byte strings (one char a byte).
 */
export function parseMonitorLine(line: string): { db: string; source: string; argv: string[] } {
  const m = /^[0-9.]+ \[(\d+) ([^\]]*)\] /.exec(line);
  if (!m) throw new Error(`not a MONITOR line: ${line}`);
  const argv: string[] = [];
  let i = m[0].length;
  const escapes: Record<string, string> = { '\\': '\\', '"': '"', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' };
  while (i < line.length) {
    if (line[i] !== '"') throw new Error(`bad MONITOR line at ${i}: ${line}`);
    i++;
    let arg = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error(`unterminated argument: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const e = line[i + 1];
        if (e === 'x') {
          arg += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
        } else if (e in escapes) {
          arg += escapes[e];
          i += 2;
        } else throw new Error(`unknown escape \\${e}: ${line}`);
      } else {
        arg += c;
        i++;
      }
    }
    argv.push(arg);
    i++;
    if (line[i] === ' ') i++;
  }
  return { db: m[1], source: m[2], argv };
}

/** a MONITOR connection: the lines it receives, as byte strings */
async function monitor(server: RedisServer): Promise<{ lines: string[]; close(): void }> {
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const parser = new ReplyParser();
  const lines: string[] = [];
  let replies = 0;
  let ready: () => void = () => undefined;
  const started = new Promise<void>((r) => (ready = r));
  socket.on('data', (d: Buffer) => {
    for (const r of parser.feed(d)) {
      if (r.t === 'error') throw new Error(`MONITOR connection: ${r.v}`);
      if (replies < 2) {
        if (++replies === 2) ready(); // AUTH's OK, MONITOR's OK
      } else if (r.t === 'status') lines.push(r.v);
    }
  });
  socket.write(Buffer.from(encodeRequest(['AUTH', server.password]) + encodeRequest(['MONITOR']), 'latin1'));
  await started;
  return { lines, close: () => socket.destroy() };
}

type Arg = string | { b64: string } | { script: string };

const sha1 = (body: string) => createHash('sha1').update(Buffer.from(body, 'latin1')).digest('hex');

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * This machine's directories, as stack traces in job data name them (a failed job's stacktrace),
 * replaced by "<root>": the repository and the directory its node_modules really is in.
 */
function scrub(bytes: string): string {
  const dirs = new Set([ROOT, path.dirname(realpathSync(path.join(ROOT, 'node_modules')))]);
  let out = bytes;
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) out = out.split(Buffer.from(dir, 'utf8').toString('latin1')).join('<root>');
  const left = /(?:^|[\s("'])(\/[\w.-]+){2,}\.(?:ts|js|mjs|cjs):\d+/.exec(out);
  if (left) process.stderr.write(`capture: an absolute path is left in an argument: ${left[0].trim()}\n`);
  return out;
}

/** the kept commands: [connection, ...argv], script bodies by SHA1 */
function keep(lines: string[]): { commands: Arg[][]; scripts: Record<string, string>; total: number; connections: number } {
  const sources = new Map<string, number>();
  const scripts: Record<string, string> = {};
  const commands: Arg[][] = [];
  let total = 0;
  const text = (bytes: string): Arg => {
    const buf = Buffer.from(bytes, 'latin1');
    const utf8 = buf.toString('utf8');
    return Buffer.from(utf8, 'utf8').equals(buf) ? utf8 : { b64: buf.toString('base64') };
  };
  for (const line of lines) {
    const { source, argv: seen } = parseMonitorLine(line);
    const argv = seen.map(scrub);
    if (source === 'lua') continue;
    const name = argv[0].toLowerCase();
    if (name === 'auth') continue;
    total++;
    if (commands.length >= MAX_COMMANDS) continue;
    if (!sources.has(source)) sources.set(source, sources.size);
    const args: Arg[] = argv.map(text);
    const bodyAt = name === 'eval' || name === 'eval_ro' ? 1 : name === 'script' && argv[1]?.toLowerCase() === 'load' ? 2 : -1;
    if (bodyAt > 0 && argv[bodyAt] !== undefined) {
      const sha = sha1(argv[bodyAt]);
      scripts[sha] = Buffer.from(argv[bodyAt], 'latin1').toString('utf8');
      if (Buffer.from(scripts[sha], 'utf8').toString('latin1') !== argv[bodyAt]) throw new Error(`script ${sha} is not UTF-8`);
      args[bodyAt] = { script: sha };
    }
    commands.push([String(sources.get(source)), ...args]);
  }
  return { commands, scripts, total, connections: sources.size };
}

/** until every job of the tasks is completed or failed (or the deadline passes: said on stderr) */
async function settle(door: FrontDoor, taskIds: string[], deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const views = await Promise.all(taskIds.map((t) => door.read(t).catch(() => undefined)));
    if (views.every((v) => v && v.jobs.length > 0 && v.jobs.every((j) => j.state === 'completed' || j.state === 'failed'))) return;
    await sleep(200);
  }
  process.stderr.write(`capture: tasks ${taskIds.join(', ')} not all finished within ${deadlineMs} ms\n`);
}

async function until(what: string, test: () => Promise<boolean>, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await test()) return;
    await sleep(50);
  }
  process.stderr.write(`capture: ${what} not seen within ${deadlineMs} ms\n`);
}

const subtask = (description: string, payload: Partial<Subtask['payload']>, timeoutMs = 5000): Subtask => ({
  description,
  payload: { durationMs: 20, exitCode: 0, output: [description], ...payload },
  timeoutMs,
});

// ---- the library's own API, beyond what the application uses ------------------------------

const settleWithin = async (what: string, test: () => Promise<boolean>, ms: number) => until(what, async () => test().catch(() => false), ms);

/**
 * A tour of the library's queue API on a queue of its own ("tour"), so that more of its scripts
 * run with the arguments it really gives them: jobs plain, prioritised, delayed and LIFO, progress
 * and logs, promote and reprioritise, pause and resume, a worker that fails one job, retry,
 * clean, remove, repeatable jobs, and the queue emptied and removed at the end. BullMQ's tour
 * also has a parent job with children, a rate-limited worker (a window of 1 s: long beside a
 * replay's steps, so that a limit seldom runs out between the two servers' turns at a command),
 * a retry after a backoff, and its queue's events read by QueueEvents. Each step that fails is
 * said on stderr and the tour goes on.
 */
async function tour(library: Library, dial: Dial, log: (line: string) => void): Promise<void> {
  const step = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (err) {
      log(`tour step "${what}" failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };
  if (library === 'bullmq') {
    const { Queue, Worker, FlowProducer, QueueEvents } = await import('bullmq');
    const connection = new Redis(dial({ connectionName: 'tour', maxRetriesPerRequest: null }));
    const q = new Queue('tour', { connection });
    await q.waitUntilReady();
    const plain = await step('add', () => q.add('plain', { n: 1 }));
    const prio = await step('add prioritised', () => q.add('prio', { n: 2 }, { priority: 5 }));
    const delayed = await step('add delayed', () => q.add('delayed', { n: 3 }, { delay: 60_000 }));
    await step('add lifo', () => q.add('lifo', { n: 4 }, { lifo: true }));
    await step('add deduplicated', () => q.add('dedup', { n: 5 }, { deduplication: { id: 'd1' } }));
    await step('add deduplicated again', () => q.add('dedup', { n: 6 }, { deduplication: { id: 'd1' } }));
    await step('addBulk', () => q.addBulk([{ name: 'bulk', data: { n: 7 } }, { name: 'fails', data: { n: 8 }, opts: { attempts: 2 } }]));
    await step('add failing with backoff', () => q.add('fails', { n: 14 }, { attempts: 2, backoff: { type: 'fixed', delay: 100 } }));
    await step('counts', () => q.getJobCounts());
    await step('waiting', () => q.getWaiting());
    await step('prioritized', () => q.getPrioritized());
    await step('progress', async () => plain?.updateProgress(50));
    await step('log', async () => plain?.log('a line of log'));
    await step('logs', async () => plain && q.getJobLogs(plain.id!));
    await step('changePriority', async () => prio?.changePriority({ priority: 1 }));
    await step('promote', async () => delayed?.promote());
    await step('delay another', () => q.add('later', { n: 9 }, { delay: 120_000 }));
    await step('pause', () => q.pause());
    await step('isPaused', () => q.isPaused());
    await step('resume', () => q.resume());
    await step('upsertJobScheduler', () => q.upsertJobScheduler('every-minute', { every: 60_000 }, { name: 'repeat', data: { n: 10 } }));
    await step('getJobSchedulers', () => q.getJobSchedulers());
    await step('removeJobScheduler', () => q.removeJobScheduler('every-minute'));
    await step('setGlobalConcurrency', () => q.setGlobalConcurrency(3));
    const flowConnection = new Redis(dial({ connectionName: 'tour-flow', maxRetriesPerRequest: null }));
    const flow = new FlowProducer({ connection: flowConnection });
    await step('flow', () => flow.add({ name: 'parent', queueName: 'tour', data: { n: 11 }, children: [{ name: 'child', queueName: 'tour', data: { n: 12 } }, { name: 'child', queueName: 'tour', data: { n: 13 } }] }));
    // its events, read from the events stream (XREAD BLOCK)
    const events = new QueueEvents('tour', { connection: dial({ connectionName: 'tour-events', maxRetriesPerRequest: null }) as never });
    events.on('error', (err: Error) => log(`tour events: ${err.message}`));
    let completed = 0;
    events.on('completed', () => void completed++);
    await events.waitUntilReady();
    const w = new Worker('tour', async (job) => {
      if (job.name === 'fails') throw new Error('this one fails');
      await job.updateProgress(100);
      return { done: job.data };
    }, { connection: dial({ connectionName: 'tour-worker', maxRetriesPerRequest: null }) as never, concurrency: 2, limiter: { max: 4, duration: 1000 } });
    w.on('error', (err) => log(`tour worker: ${err.message}`));
    await settleWithin('bullmq tour: jobs done', async () => {
      const c = await q.getJobCounts('wait', 'active', 'prioritized', 'waiting-children');
      return Object.values(c).every((n) => n === 0) && completed > 0;
    }, 15_000);
    await w.close();
    await events.close();
    await flow.close();
    flowConnection.disconnect();
    await step('failed', async () => {
      for (const job of await q.getFailed()) await job.retry();
    });
    await step('retryJobs', () => q.retryJobs({ state: 'failed' }));
    await step('completed', () => q.getCompleted());
    await step('clean', () => q.clean(0, 100, 'completed'));
    await step('remove', async () => (await q.getWaiting())[0]?.remove());
    await step('trimEvents', () => q.trimEvents(10));
    await step('drain', () => q.drain(true));
    await step('obliterate', () => q.obliterate({ force: true }));
    await q.close();
    connection.disconnect();
  } else if (library === 'bull') {
    const { connections, Queue } = await import('../examples/bull/queue.ts');
    const q = new Queue('tour', { createClient: connections(dial, 'tour', { maxRetriesPerRequest: null }) as never });
    await q.isReady();
    const plain = await step('add', () => q.add({ n: 1 }));
    await step('add prioritised', () => q.add({ n: 2 }, { priority: 5 }));
    const delayed = await step('add delayed', () => q.add({ n: 3 }, { delay: 60_000 }));
    await step('add lifo', () => q.add({ n: 4 }, { lifo: true }));
    await step('add failing', () => q.add({ n: 5, fail: true }, { attempts: 2 }));
    await step('addBulk', () => q.addBulk([{ data: { n: 6 } }, { data: { n: 7 }, opts: { priority: 2 } }]));
    await step('counts', () => q.getJobCounts());
    await step('waiting', () => q.getWaiting());
    await step('progress', async () => plain?.progress(50));
    await step('log', async () => plain?.log('a line of log'));
    await step('logs', async () => plain && q.getJobLogs(String(plain.id)));
    await step('update', async () => plain?.update({ n: 1, updated: true }));
    await step('promote', async () => delayed?.promote());
    await step('delay another', () => q.add({ n: 8 }, { delay: 120_000 }));
    await step('pause', () => q.pause());
    await step('isPaused', () => q.isPaused());
    await step('resume', () => q.resume());
    await step('repeatable', () => q.add({ n: 9 }, { repeat: { every: 60_000 } }));
    await step('getRepeatableJobs', () => q.getRepeatableJobs());
    await step('removeRepeatable', () => q.removeRepeatable({ every: 60_000 }));
    void q.process(2, async (job) => {
      if ((job.data as { fail?: boolean }).fail) throw new Error('this one fails');
      await job.progress(100);
      return { done: job.data };
    });
    await settleWithin('bull tour: jobs done', async () => {
      const c = await q.getJobCounts();
      return c.waiting === 0 && c.active === 0;
    }, 15_000);
    await step('failed', async () => {
      for (const job of await q.getFailed()) await job.retry();
    });
    await settleWithin('bull tour: retried jobs done', async () => {
      const c = await q.getJobCounts();
      return c.waiting === 0 && c.active === 0;
    }, 10_000);
    await step('completed', () => q.getCompleted());
    await step('clean', () => q.clean(0, 'completed'));
    await step('clean failed', () => q.clean(0, 'failed'));
    await step('removeJobs', () => q.removeJobs('*'));
    await step('empty', () => q.empty());
    await step('obliterate', () => q.obliterate({ force: true }));
    await q.close();
  } else {
    const { nodeRedisClient, Queue, redisSettings } = await import('../examples/bee-queue/queue.ts');
    const made: Array<{ end(flush: boolean): void }> = [];
    const client = nodeRedisClient({ dial }, redisSettings({ offlineQueue: true }), (c) => made.push(c));
    const q = new Queue('tour', { redis: client as never, isWorker: true, getEvents: false, activateDelayedJobs: true, removeOnSuccess: false, stallInterval: 5000 });
    q.on('error', (err: Error) => log(`tour queue: ${err.message}`));
    await q.ready();
    await step('save', () => q.createJob({ n: 1 }).save());
    await step('save with id', () => q.createJob({ n: 2 }).setId('own-id').save());
    await step('save delayed', () => q.createJob({ n: 3 }).delayUntil(Date.now() + 60_000).save());
    await step('save retrying', () => q.createJob({ n: 4, fail: true }).retries(1).backoff('fixed', 50).save());
    await step('saveAll', () => q.saveAll([q.createJob({ n: 5 }), q.createJob({ n: 6 })]));
    await step('checkHealth', () => q.checkHealth());
    await step('getJobs waiting', () => q.getJobs('waiting', { start: 0, end: 10 }));
    await step('getJobs delayed', () => q.getJobs('delayed', { start: 0, end: 10 }));
    await step('getJob', () => q.getJob('own-id'));
    await step('removeJob', () => q.removeJob('own-id'));
    q.process(2, async (job: { data: { fail?: boolean } }) => {
      if (job.data.fail) throw new Error('this one fails');
      return { done: job.data };
    });
    await settleWithin('bee-queue tour: jobs done', async () => {
      const h = await q.checkHealth();
      return h.waiting === 0 && h.active === 0 && h.failed > 0;
    }, 15_000);
    await step('getJobs succeeded', () => q.getJobs('succeeded', { size: 10 }));
    await step('getJobs failed', () => q.getJobs('failed', { size: 10 }));
    await step('destroy', () => q.destroy());
    await q.close(1000).catch(() => undefined);
  }
}

async function capture(library: Library, outDir: string): Promise<void> {
  const registry = new ProcessRegistry();
  const server = await RedisServer.start({ bin: requireBinary(REDIS), registry, aof: false });
  process.env.SUT_REDIS_PASSWORD = server.password;
  const log = (id: string) => (line: string) => process.stderr.write(`${library} ${id}: ${line}\n`);
  const roles = (await import(`../examples/${library}/roles.ts`)) as Roles;
  const dial = dialPort(server.port);
  const mon = await monitor(server);
  try {
    const producer = await roles.startProducer({ id: 'front-door', dial, log: log('front-door') });
    const w1Connections: Array<{ disconnect(): void }> = [];
    const w1 = await roles.startWorker({ id: 'worker-1', dial, log: log('worker-1'), opened: (r) => w1Connections.push(r), leaseMs: LEASE_MS, concurrency: 2 });
    const { door } = producer;
    await door.submit('task-a', { description: 'three quick jobs', subtasks: [subtask('one', {}), subtask('two', { output: ['deux', 'é ✓ 日本'] }), subtask('three', { durationMs: 60 })] });
    await door.submit('task-b', { description: 'a failing job', subtasks: [subtask('fails', { exitCode: 3, output: ['boom'] })] });
    await door.submit('task-c', { description: 'a job past its timeout', subtasks: [subtask('hangs', { hang: true }, 300)] });
    await door.submit('task-a', { description: 'three quick jobs', subtasks: [subtask('one', {}), subtask('two', {}), subtask('three', {})] });
    await settle(door, ['task-a', 'task-b', 'task-c'], 20_000);
    // a long job; its worker crashes while it runs; a second worker takes it over after the lease
    await door.submit('task-d', { description: 'a long job', subtasks: [subtask('long', { durationMs: 1500 }, 10_000)] });
    await until('task-d running', async () => (await door.read('task-d').catch(() => undefined))?.jobs[0]?.state === 'running', 10_000);
    if (w1.crash) w1.crash();
    else for (const c of w1Connections) c.disconnect();
    const w2 = await roles.startWorker({ id: 'worker-2', dial, log: log('worker-2'), leaseMs: LEASE_MS, concurrency: 2 });
    await settle(door, ['task-a', 'task-b', 'task-c', 'task-d'], 30_000);
    await w2.close();
    await producer.close();
    await tour(library, dial, log('tour'));
    await sleep(300);
  } finally {
    mon.close();
    await server.stop();
    await registry.stopAll(1000);
  }
  const { commands, scripts, total, connections } = keep(mon.lines);
  const root = ROOT;
  const out = path.join(outDir, `traffic-${library}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  const doc = {
    library,
    captured: 'npx tsx scripts/capture-traffic.ts (see its header for the workload)',
    note: total > commands.length ? `the first ${commands.length} of ${total} top-level commands` : `all ${total} top-level commands`,
    connections,
    scripts,
    commands,
  };
  writeFileSync(out, `{\n${Object.entries(doc).map(([k, v]) => k === 'commands' ? `  "commands": [\n${commands.map((c) => `    ${JSON.stringify(c)}`).join(',\n')}\n  ]` : `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')}\n}\n`);
  process.stdout.write(`${library}: ${commands.length} of ${total} commands kept, ${connections} connections, ${Object.keys(scripts).length} script bodies -> ${path.relative(root, out)}\n`);
}

// run as a script (the test imports parseMonitorLine only)
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const outDir = outAt < 0 ? path.join(ROOT, 'test', 'sim', 'fixtures') : path.resolve(args[outAt + 1] ?? '.');
  const asked = outAt < 0 ? args : [...args.slice(0, outAt), ...args.slice(outAt + 2)];
  for (const a of asked) if (!(LIBRARIES as readonly string[]).includes(a)) throw new Error(`unknown library ${a} (${LIBRARIES.join(', ')})`);
  for (const library of asked.length ? (asked as Library[]) : LIBRARIES) await capture(library, outDir);
  process.exit(0);
}
