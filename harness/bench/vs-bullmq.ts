// vs-bullmq: throughput of the reference system against BullMQ on the same redis-server (an
// Environment's, direct connections, no links), both with a no-op payload executed in-process:
// the reference system's workers run with the bench-only `--bench-noop-payload` (PROTOCOL.md,
// "Bench-only"); BullMQ runs as many worker processes, each a Worker with an async no-op
// processor and concurrency 1. N jobs are submitted as fast as possible (at most 64 requests in
// flight) and jobs/s is measured from the first submit to the last completion: for the reference
// system the last `completed` the keeper applied (its transition-log entry's time), for BullMQ
// the last job's finishedOn. Systems and modes alternate over rounds; every measurement starts
// on a flushed Redis with freshly started processes.
//
// Where the time goes: a profile pass per system splits the work into phases by pausing the
// consumers (SIGSTOP): submit only, then the workers only, then (reference) the keeper only.
// Per phase: round trips per job (MONITOR, commands a client sent), commands run inside Lua per
// job, and Redis server time per job (INFO commandstats deltas), among them the keeper's Lua
// script. CPU time per process comes from /proc during the throughput runs.

import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Queue as BullQueue } from 'bullmq';
// BullMQ is a pinned dev dependency of this repository (its example system: examples/bullmq/)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function loadQueue(): Promise<new (name: string, opts: any) => { add: (...a: any[]) => Promise<unknown>; addBulk: (...a: any[]) => Promise<unknown>; close: () => Promise<void>; [k: string]: any }> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return BullQueue as any;
}
import Table from 'cli-table3';
import type { Redis } from 'ioredis';
import { nodeCommand, PROJECT_ROOT } from '../env/binaries.ts';
import type { Environment } from '../env/environment.ts';
import { freePort } from '../env/ports.ts';
import type { ManagedProcess } from '../env/processes.ts';
import { SutProcess, sutCommand } from '../env/sut.ts';
import type { ProcessSpec } from '../systems/types.ts';
import { cpuMs, median, num, pool, secs, selfCpuMs, sleep, sum, type BenchContext, type BenchOutput, type Benchmark, withEnvironment } from './common.ts';
import {
  countCommand, diffCommandStats, emptyCounts, parseCommandStats, top, topLevelUsec, total,
  type CommandCounts, type CommandStats,
} from './redis-stats.ts';

type SystemName = 'reference' | 'bullmq';
type SubmitMode = 'single' | 'bulk';

const IN_FLIGHT = 64;
const BULK = 100;
const QUEUE = 'bench';
const DONE_TIMEOUT_MS = 180_000;

interface Proc {
  role: string;
  pid: number;
  pause(): void;
  resume(): void;
  kill(): Promise<void>;
}

/** One system, started on a flushed Redis: submit N jobs, know when they are all done. */
interface System {
  name: SystemName;
  procs: Proc[];
  /** submits n no-op jobs; resolves when every submission was answered */
  submit(n: number, mode: SubmitMode): Promise<void>;
  /** resolves with the wall time (epoch ms) of the last completion once n jobs completed */
  waitDone(n: number): Promise<number>;
  stop(): Promise<void>;
}

/** The bench's own connection; counts its commands so they can be left out of the figures. */
class Admin {
  readonly sent = new Map<string, number>();
  constructor(readonly redis: Redis) {}
  note(cmd: string, n = 1): void {
    this.sent.set(cmd, (this.sent.get(cmd) ?? 0) + n);
  }
  async stats(): Promise<CommandStats> {
    this.note('info');
    return parseCommandStats(await this.redis.info('commandstats'));
  }
}

// ---------------------------------------------------------------------------------------
// the reference system, bench-only no-op workers, direct connections

function sutProc(p: SutProcess, role: string): Proc {
  return { role, get pid() { return p.pid; }, pause: () => p.signal('SIGSTOP'), resume: () => p.signal('SIGCONT'), kill: () => p.kill() };
}

async function startReference(env: Environment, admin: Admin, workers: number): Promise<System> {
  const httpPort = await freePort();
  const redisArgs = ['--redis-port', String(env.redis.port)];
  const spec = (role: string, id: string, args: string[]): ProcessSpec => ({ role, id, argv: [...sutCommand(), role, '--id', id, ...args] });
  const specs: ProcessSpec[] = [
    spec('orchestrator', 'orchestrator', [...redisArgs, '--http-port', String(httpPort)]),
    spec('keeper', 'keeper-1', redisArgs),
    ...Array.from({ length: workers }, (_, i) => spec('worker', `worker-${i + 1}`, [...redisArgs, '--lease-ms', '2000', '--bench-noop-payload'])),
  ];
  const procEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SUT_REDIS_PASSWORD: env.redis.password };
  const sut = specs.map((s) => new SutProcess(s, env.registry, procEnv));
  const started = await Promise.allSettled(sut.map((p) => p.start()));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(sut.map((p) => p.kill()));
    throw (failed as PromiseRejectedResult).reason;
  }
  const procs = sut.map((p) => sutProc(p, p.spec.role));
  const base = `http://127.0.0.1:${httpPort}`;
  const post = async (body: string) => {
    const res = await fetch(`${base}/tasks`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(30_000) });
    if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const one = JSON.stringify({ description: 'noop', priority: 1 });
  const bulk = JSON.stringify({ description: 'noop', priority: 1, subtasks: Array.from({ length: BULK }, () => ({ description: 'noop' })) });
  return {
    name: 'reference',
    procs,
    async submit(n, mode) {
      if (mode === 'single') await pool(Array.from({ length: n }), IN_FLIGHT, () => post(one));
      else await pool(Array.from({ length: Math.ceil(n / BULK) }), IN_FLIGHT, () => post(bulk));
    },
    async waitDone(n) {
      // the keeper's decisions, read incrementally: a job is done when its `completed` is applied
      let done = 0;
      let last = 0;
      let cursor = '-';
      const deadline = Date.now() + DONE_TIMEOUT_MS;
      while (done < n) {
        if (Date.now() > deadline) throw new Error(`reference: only ${done}/${n} jobs completed after ${DONE_TIMEOUT_MS / 1000}s`);
        const batch = (await admin.redis.xrange('sut:translog', cursor, '+', 'COUNT', 5000)) as [string, string[]][];
        admin.note('xrange');
        for (const [id, fields] of batch) {
          const f: Record<string, string> = {};
          for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
          if (f.decision === 'applied' && f.to === 'completed') {
            done++;
            last = Math.max(last, Number(id.split('-')[0]));
          }
        }
        if (batch.length > 0) cursor = '(' + batch[batch.length - 1][0];
        if (batch.length < 5000 && done < n) await sleep(10);
      }
      return last;
    },
    async stop() {
      await Promise.all(procs.map((p) => p.kill()));
    },
  };
}

// ---------------------------------------------------------------------------------------
// BullMQ: worker processes (one Worker each, concurrency 1), the Queue in the bench process

async function startBullWorker(env: Environment, i: number): Promise<ManagedProcess> {
  const [node, ...script] = nodeCommand('harness/bench/bullmq-worker.ts');
  const name = `bullmq-worker-${i + 1}`;
  const proc = env.registry.spawn(name, node!, script, {
    cwd: PROJECT_ROOT, detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BENCH_REDIS_PORT: String(env.redis.port), BENCH_REDIS_PASSWORD: env.redis.password, BENCH_QUEUE: QUEUE, BENCH_WORKER_NAME: name },
  });
  let stderr = '';
  proc.child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not report ready: ${stderr.trim()}`)), 20_000);
    createInterface({ input: proc.child.stdout! }).on('line', (line) => {
      if (line.includes('"ready":true')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void proc.exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before ready (${e.code ?? e.signal}): ${stderr.trim()}`));
    });
  }).catch(async (err: unknown) => {
    proc.signal('SIGKILL');
    await proc.exited;
    throw err;
  });
  return proc;
}

async function startBull(env: Environment, admin: Admin, workers: number): Promise<System> {
  const started = await Promise.allSettled(Array.from({ length: workers }, (_, i) => startBullWorker(env, i)));
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const kill = async (p: ManagedProcess) => {
    p.signal('SIGKILL');
    await p.exited;
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map(kill));
    throw (failed as PromiseRejectedResult).reason;
  }
  const procs: Proc[] = ok.map((p) => ({ role: 'worker', pid: p.pid, pause: () => p.signal('SIGSTOP'), resume: () => p.signal('SIGCONT'), kill: () => kill(p) }));
  const Queue = await loadQueue();
  const queue = new Queue(QUEUE, { connection: { host: '127.0.0.1', port: env.redis.port, password: env.redis.password, maxRetriesPerRequest: null, connectionName: 'bench-queue' } });
  await queue.waitUntilReady();
  return {
    name: 'bullmq',
    procs,
    async submit(n, mode) {
      if (mode === 'single') await pool(Array.from({ length: n }), IN_FLIGHT, () => queue.add('noop', {}));
      else await pool(Array.from({ length: Math.ceil(n / BULK) }), IN_FLIGHT, () => queue.addBulk(Array.from({ length: BULK }, () => ({ name: 'noop', data: {} }))));
    },
    async waitDone(n) {
      const key = `bull:${QUEUE}:completed`;
      const deadline = Date.now() + DONE_TIMEOUT_MS;
      for (;;) {
        const done = await admin.redis.zcard(key);
        admin.note('zcard');
        if (done >= n) break;
        if (Date.now() > deadline) throw new Error(`bullmq: only ${done}/${n} jobs completed after ${DONE_TIMEOUT_MS / 1000}s`);
        await sleep(10);
      }
      // the completed set is scored by finishedOn
      const last = await admin.redis.zrange(key, -1, -1, 'WITHSCORES');
      admin.note('zrange');
      return Number(last[1]);
    },
    async stop() {
      await queue.close().catch(() => undefined);
      await Promise.all(procs.map((p) => p.kill()));
    },
  };
}

// ---------------------------------------------------------------------------------------
// measurements

export interface Throughput {
  system: SystemName;
  mode: SubmitMode;
  round: number;
  jobs: number;
  /** first submit → every submission answered */
  submitMs: number;
  /** first submit → last completion */
  totalMs: number;
  jobsPerSecond: number;
  /** CPU ms per job, by role (workers summed), plus redis-server and the bench process */
  cpuMsPerJob: Record<string, number>;
  /** Redis commands per job, every call counted (also those inside scripts), the bench's own left out */
  commandsPerJob: number;
}

async function start(system: SystemName, env: Environment, admin: Admin, workers: number): Promise<System> {
  await admin.redis.flushall();
  admin.note('flushall');
  const s = system === 'reference' ? await startReference(env, admin, workers) : await startBull(env, admin, workers);
  await sleep(300); // let the consumers reach their blocking reads
  return s;
}

function cpuByRole(env: Environment, s: System): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of s.procs) out[p.role] = (out[p.role] ?? 0) + cpuMs(p.pid);
  out['redis-server'] = cpuMs(env.redis.process.pid);
  out.bench = selfCpuMs();
  return out;
}

const SCRIPT = new Set(['eval', 'evalsha']);

async function throughput(system: SystemName, mode: SubmitMode, round: number, n: number, env: Environment, admin: Admin, workers: number): Promise<Throughput> {
  const s = await start(system, env, admin, workers);
  try {
    const sentBefore = new Map(admin.sent);
    const stats0 = await admin.stats();
    const cpu0 = cpuByRole(env, s);
    const t0 = Date.now();
    const p0 = performance.now();
    await s.submit(n, mode);
    const submitMs = performance.now() - p0;
    const last = await s.waitDone(n);
    const cpu1 = cpuByRole(env, s);
    const delta = diffCommandStats(stats0, await admin.stats());
    // leave out the bench's own commands (polling, INFO)
    for (const [cmd, count] of admin.sent) {
      const mine = count - (sentBefore.get(cmd) ?? 0);
      const d = delta.get(cmd);
      if (d) d.calls = Math.max(0, d.calls - mine);
    }
    delta.delete('info');
    const totalMs = last - t0;
    const cpuMsPerJob = Object.fromEntries(Object.keys(cpu1).map((k) => [k, (cpu1[k] - cpu0[k]) / n]));
    return {
      system, mode, round, jobs: n, submitMs, totalMs, jobsPerSecond: (n * 1000) / totalMs, cpuMsPerJob,
      commandsPerJob: sum([...delta.values()].map((d) => d.calls)) / n,
    };
  } finally {
    await s.stop();
  }
}

export interface Phase {
  phase: string;
  ms: number;
  jobsPerSecond: number;
  roundTripsPerJob: number;
  luaCommandsPerJob: number;
  serverUsecPerJob: number;
  roundTrips: Record<string, number>;
  luaCommands: Record<string, number>;
  serverUsec: Record<string, number>;
  /** per script call, when the phase ran scripts */
  scriptCalls: number;
  scriptUsecPerCall: number;
}

/** One system, consumers paused while the jobs go in, then released role by role, under MONITOR. */
async function profile(system: SystemName, n: number, env: Environment, admin: Admin, workers: number): Promise<Phase[]> {
  const s = await start(system, env, admin, workers);
  const monitorConn = env.redis.client({ connectionName: 'bench-monitor' });
  const info = (await admin.redis.client('INFO')) as string;
  const adminAddr = /addr=(\S+)/.exec(info)?.[1] ?? '';
  let counts: CommandCounts = emptyCounts();
  const cuts = new Map<string, CommandCounts>();
  let monitor: Awaited<ReturnType<Redis['monitor']>> | undefined;
  try {
    monitor = await monitorConn.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === adminAddr) {
        // the bench marks the end of each phase with ECHO: MONITOR lines come in order
        if (args[0]?.toLowerCase() === 'echo' && args[1]?.startsWith('phase-end:')) {
          cuts.set(args[1].slice('phase-end:'.length), counts);
          counts = emptyCounts();
        }
        return;
      }
      countCommand(counts, args[0] ?? '?', source === 'lua');
    });
    const workersOf = s.procs.filter((p) => p.role === 'worker');
    const keeper = s.procs.filter((p) => p.role === 'keeper');
    for (const p of [...workersOf, ...keeper]) p.pause();
    await sleep(200);
    await admin.redis.echo('phase-end:idle');

    const phases: { name: string; run: () => Promise<void> }[] = [
      { name: 'submit', run: () => s.submit(n, 'single') },
      {
        name: system === 'reference' ? 'workers (keeper paused)' : 'workers',
        run: async () => {
          for (const p of workersOf) p.resume();
          if (system === 'bullmq') {
            await s.waitDone(n);
            return;
          }
          // every job acknowledged by its worker and its three events written
          for (const deadline = Date.now() + DONE_TIMEOUT_MS; ;) {
            const [pending, events] = await Promise.all([admin.redis.xpending('sut:jobs', 'workers') as Promise<[number]>, admin.redis.xlen('sut:events')]);
            admin.note('xpending');
            admin.note('xlen');
            if (Number(pending[0]) === 0 && events >= 3 * n) break;
            if (Date.now() > deadline) throw new Error('reference workers did not finish');
            await sleep(10);
          }
        },
      },
      ...(system === 'reference'
        ? [{ name: 'keeper', run: async () => {
          for (const p of keeper) p.resume();
          await s.waitDone(n);
        } }]
        : []),
    ];

    const out: Phase[] = [];
    for (const ph of phases) {
      const stats0 = await admin.stats();
      const t0 = performance.now();
      await ph.run();
      const ms = performance.now() - t0;
      const delta = diffCommandStats(stats0, await admin.stats());
      await admin.redis.echo(`phase-end:${ph.name}`);
      for (let i = 0; i < 200 && !cuts.has(ph.name); i++) await sleep(10);
      const c = cuts.get(ph.name) ?? counts;
      const { byCommand } = topLevelUsec(delta, c, new Set(['info', 'echo', 'xrange', 'zcard', 'zrange', 'xpending', 'xlen', 'client']));
      const scripts = [...delta].filter(([cmd]) => SCRIPT.has(cmd));
      const scriptCalls = sum(scripts.map(([, d]) => d.calls));
      out.push({
        phase: ph.name, ms, jobsPerSecond: (n * 1000) / ms,
        roundTripsPerJob: total(c.topLevel) / n, luaCommandsPerJob: total(c.inLua) / n, serverUsecPerJob: sum([...byCommand.values()]) / n,
        roundTrips: Object.fromEntries(c.topLevel), luaCommands: Object.fromEntries(c.inLua), serverUsec: Object.fromEntries(byCommand),
        scriptCalls, scriptUsecPerCall: scriptCalls > 0 ? sum(scripts.map(([, d]) => d.usec)) / scriptCalls : NaN,
      });
    }
    return out;
  } finally {
    for (const p of s.procs) p.resume();
    monitor?.disconnect();
    monitorConn.disconnect();
    await s.stop();
  }
}

export function vsBullmqBench(opts: { jobs?: number; rounds?: number; profileJobs?: number } = {}): Benchmark {
  return {
    name: 'vs-bullmq',
    summary: 'reference system (bench-only no-op workers) vs BullMQ on the same Redis',
    async run(ctx: BenchContext): Promise<BenchOutput> {
      const n = opts.jobs ?? (ctx.quick ? 200 : 2000);
      const rounds = opts.rounds ?? (ctx.quick ? 1 : 3);
      const profileJobs = opts.profileJobs ?? (ctx.quick ? 100 : 1000);
      const results: Throughput[] = [];
      const profiles: Record<SystemName, Phase[]> = { reference: [], bullmq: [] };
      let workers = 0;
      await withEnvironment({}, async (env) => {
        workers = env.options.workers;
        // the Environment's own SUT processes read the same streams (through links): stop them
        await Promise.all([...env.sut.values()].map((p) => p.kill()));
        const admin = new Admin(env.redis.client({ connectionName: 'bench-admin' }));
        try {
          // warm-up: one small run of each (JIT, connections, script loading), not counted
          for (const system of ['reference', 'bullmq'] as const) await throughput(system, 'single', -1, Math.min(n, 200), env, admin, workers);
          for (let round = 0; round < rounds; round++) {
            const order: SystemName[] = round % 2 === 0 ? ['reference', 'bullmq'] : ['bullmq', 'reference'];
            for (const mode of ['single', 'bulk'] as const) {
              for (const system of order) {
                const r = await throughput(system, mode, round, n, env, admin, workers);
                results.push(r);
                ctx.log(`[vs-bullmq] round ${round + 1}/${rounds} ${system} ${mode}: ${n} jobs in ${secs(r.totalMs, 2)} = ${num(r.jobsPerSecond, 0)} jobs/s (submissions ${secs(r.submitMs, 2)}; ${num(r.commandsPerJob)} Redis commands/job)`);
              }
            }
          }
          for (const system of ['reference', 'bullmq'] as const) {
            profiles[system] = await profile(system, profileJobs, env, admin, workers);
            for (const ph of profiles[system]) {
              ctx.log(`[vs-bullmq] profile ${system} ${ph.phase}: ${secs(ph.ms, 2)} (${num(ph.jobsPerSecond, 0)} jobs/s), ${num(ph.roundTripsPerJob, 2)} round trips/job, ${num(ph.luaCommandsPerJob, 1)} Lua commands/job, ${num(ph.serverUsecPerJob, 1)} µs Redis/job`);
            }
          }
        } finally {
          admin.redis.disconnect();
        }
      });

      const med = (system: SystemName, mode: SubmitMode, f: (r: Throughput) => number) => median(results.filter((r) => r.system === system && r.mode === mode).map(f));
      const t1 = new Table({ head: ['mode', 'reference jobs/s', 'BullMQ jobs/s', 'reference / BullMQ', 'submissions ref / bull', 'Redis cmds/job ref / bull'], style: { head: [], border: [] } });
      const ratios: Record<SubmitMode, number> = { single: NaN, bulk: NaN };
      for (const mode of ['single', 'bulk'] as const) {
        const ref = med('reference', mode, (r) => r.jobsPerSecond);
        const bull = med('bullmq', mode, (r) => r.jobsPerSecond);
        ratios[mode] = ref / bull;
        t1.push([
          mode === 'single' ? `1 job per request (${n})` : `${BULK} jobs per request`,
          num(ref, 0), num(bull, 0), num(ref / bull, 3),
          `${secs(med('reference', mode, (r) => r.submitMs), 2)} / ${secs(med('bullmq', mode, (r) => r.submitMs), 2)}`,
          `${num(med('reference', mode, (r) => r.commandsPerJob))} / ${num(med('bullmq', mode, (r) => r.commandsPerJob))}`,
        ]);
      }
      const t2 = new Table({ head: ['CPU ms per job (single, median)', 'reference', 'BullMQ'], style: { head: [], border: [] } });
      const roles = [...new Set(results.flatMap((r) => Object.keys(r.cpuMsPerJob)))];
      for (const role of roles) {
        t2.push([role, num(med('reference', 'single', (r) => r.cpuMsPerJob[role] ?? NaN), 3), num(med('bullmq', 'single', (r) => r.cpuMsPerJob[role] ?? NaN), 3)]);
      }
      t2.push(['total', num(med('reference', 'single', (r) => sum(Object.values(r.cpuMsPerJob))), 3), num(med('bullmq', 'single', (r) => sum(Object.values(r.cpuMsPerJob))), 3)]);
      const t3 = new Table({ head: ['profile (consumers paused, then released)', 'jobs/s', 'round trips/job', 'Lua cmds/job', 'Redis µs/job', 'top round trips per job', 'script µs/call'], style: { head: [], border: [] } });
      for (const system of ['reference', 'bullmq'] as const) {
        for (const ph of profiles[system]) {
          t3.push([`${system}: ${ph.phase}`, num(ph.jobsPerSecond, 0), num(ph.roundTripsPerJob, 2), num(ph.luaCommandsPerJob, 1), num(ph.serverUsecPerJob, 1), top(new Map(Object.entries(ph.roundTrips)), 5, profileJobs, 2), num(ph.scriptUsecPerCall, 1)]);
        }
      }
      const keeper = profiles.reference.find((p) => p.phase === 'keeper');
      const text = [
        t1.toString(),
        `${workers} workers each side, 1 job at a time each; ${IN_FLIGHT} submissions in flight; ${rounds} rounds, systems alternating; medians`,
        t2.toString(),
        'CPU from /proc (user+system) during the throughput runs; bench = this process (HTTP client or BullMQ Queue, completion polling)',
        t3.toString(),
        `profile: ${profileJobs} jobs; round trips = commands clients sent (MONITOR), Lua cmds = commands run inside scripts; Redis µs = server time of the commands clients sent (INFO commandstats)`,
      ];
      if (keeper) text.push(`keeper's apply-event Lua script: ${num(keeper.scriptUsecPerCall, 1)} µs per event, ${num((keeper.scriptUsecPerCall * keeper.scriptCalls) / profileJobs, 1)} µs per job (${num(keeper.scriptCalls / profileJobs, 2)} events per job)`);
      return {
        data: { jobs: n, rounds, workers, inFlight: IN_FLIGHT, bulk: BULK, ratios, results, profileJobs, profiles },
        text,
        goals: [
          { name: 'reference / BullMQ throughput, 1 job per request', goal: 'report (no target)', figure: num(ratios.single, 3), met: null },
          { name: `reference / BullMQ throughput, ${BULK} jobs per request`, goal: 'report (no target)', figure: num(ratios.bulk, 3), met: null },
        ],
      };
    },
  };
}
