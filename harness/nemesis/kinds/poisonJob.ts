import fc from 'fast-check';
import type { PayloadStart, RunEnvironment } from '../../env/surface.ts';
import type { Rejoin, StepWindow } from '../types.ts';
import { COLOURS, rejoin, type BuiltinKindModule } from './shared.ts';

/**
 * A poison job: the first job whose payload starts after the step begins takes down the worker
 * that runs it, `afterMs` into the payload (a native module that segfaults, an allocation that
 * sets off the OOM killer: the whole worker dies, not just its payload), and so again each time
 * its payload starts anew, on whichever worker took it over, up to `strikes` times in the step's
 * window. A struck worker is started again `downMs` later (under its name, or as a new consumer
 * with `rejoin: 'new'`), or at the heal. One job's holders die one after another: the job is
 * delivered again and again, by restarts and takeovers. Each strike is recorded as the kill it is,
 * with the job it followed. It needs an environment that sees payloads start (payloadTrigger): the
 * simulation, and live a system whose executors run payloads through the harness's wrapper (the
 * reference system); elsewhere no start is seen and the step is empty.
 */
export type PoisonJobFault = { kind: 'poison-job'; strikes: number; afterMs: number; downMs: number; rejoin?: Rejoin };

/** a step's strikes under way, by step id, until its heal */
const running = new Map<number, Promise<void>>();

export const poisonJob: BuiltinKindModule<PoisonJobFault> = {
  kind: 'poison-job',
  summary: 'the workers that run one job killed, each time its payload starts, up to n times',
  family: 'process',
  effect: 'ends',
  colour: COLOURS.death,
  target: () => 'the worker running the job',
  // the workers it strikes are known only as it strikes them: its scenarios keep other process faults off the workers
  resource: () => 'poison-job',
  arbitrary: () => poisonJobArb,
  async inject(env, fault, stepId, window) {
    if (!env.payloadTrigger) return { empty: 'this environment does not see payloads start (no payload trigger)' };
    const first = env.payloadTrigger();
    const start = await Promise.race([first.fired, window.healAt.then(() => undefined)]);
    if (!start) {
      first.cancel();
      return { empty: "no payload start seen in the step's window (live: only executors that run payloads through the harness's wrapper are seen)" };
    }
    const struck = await strike(env, fault, start, 1, window);
    if (typeof struck === 'string') return { empty: struck };
    running.set(stepId, follow(env, fault, start.jobId, struck.back, window));
    return { fired: true, as: { fault: struck.fault, detail: struck.detail, ended: struck.back } };
  },
  async heal(_env, _fault, stepId) {
    await running.get(stepId);
    running.delete(stepId);
  },
};

interface Struck {
  fault: { kind: 'kill'; process: string; rejoin?: Rejoin };
  detail: Record<string, unknown>;
  /** settles once the worker runs again (downMs later, or at the step's heal) */
  back: Promise<void>;
}

/**
 * Kills the worker a start of the job ran under, `afterMs` into its payload; why not, when the
 * step healed first or the worker is gone by then.
 */
async function strike(env: RunEnvironment, fault: PoisonJobFault, start: PayloadStart, n: number, window: StepWindow): Promise<Struck | string> {
  const healedFirst = await Promise.race([sleep(fault.afterMs).then(() => false), window.healAt.then(() => true)]);
  if (healedFirst) return `the step healed before ${fault.afterMs} ms of job ${start.jobId}'s payload had passed`;
  const p = env.processControl(start.process);
  if (!p.alive()) return `${start.process} was no longer running ${fault.afterMs} ms into job ${start.jobId}'s payload`;
  await p.kill();
  const back = Promise.race([sleep(fault.downMs), window.healAt]).then(async () => {
    if (!p.alive()) await p.start({ rejoin: fault.rejoin });
  });
  return {
    fault: { kind: 'kill', process: start.process, ...(fault.rejoin ? { rejoin: fault.rejoin } : {}) },
    detail: { poison: { jobId: start.jobId, attempt: start.attempt, strike: n, of: fault.strikes } },
    back,
  };
}

/** The strikes after the first: at each new start of the job's payload until `strikes` or the heal; resolves when every struck worker runs again (or was killed again meanwhile), never rejects. */
async function follow(env: RunEnvironment, fault: PoisonJobFault, jobId: string, firstBack: Promise<void>, window: StepWindow): Promise<void> {
  // a struck worker another step killed again while it was starting is not back, and is that
  // step's to bring back (its heal, or the final heal): each wait is settled at once, never
  // thrown. A rejection with no handler until the loop below ends (a strike's wait for the next
  // start can take seconds) killed the process (found by the simulated soak: a crash point killed
  // worker-2 while the poison job's restart of it was under way)
  const backs = [firstBack.catch(() => undefined)];
  let healed = false;
  void window.healAt.then(() => (healed = true));
  for (let n = 2; n <= fault.strikes && !healed; n++) {
    const next = env.payloadTrigger!(jobId);
    const start = await Promise.race([next.fired, window.healAt.then(() => undefined)]);
    if (!start) {
      next.cancel();
      break;
    }
    const struck = await strike(env, fault, start, n, window);
    if (typeof struck === 'string') continue;
    const record = window.also?.(struck.fault, struck.detail);
    backs.push(struck.back.then(() => record?.end(), () => undefined));
  }
  await Promise.all(backs);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * 1–4 strikes, the first ones shrinking away; each worker struck 0–400 ms into the payload and
 * back 0.2–3 s later, under its name or as a new consumer.
 */
const poisonJobArb: fc.Arbitrary<PoisonJobFault> = fc.record({
  kind: fc.constant('poison-job' as const),
  strikes: fc.integer({ min: 1, max: 4 }),
  afterMs: fc.integer({ min: 0, max: 400 }),
  downMs: fc.integer({ min: 200, max: 3000 }),
  rejoin,
});
