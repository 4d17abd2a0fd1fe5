import fc from 'fast-check';
import { armSecondStop, secondStopArb, secondStopDone, type CrashThen } from './crashPoint.ts';
import { COLOURS, type BuiltinKindModule } from './shared.ts';

/**
 * `then` (simulation only): a second stop of the worker while it recovers from its executor's
 * death, as a crash point's (crashPoint.ts), armed the moment the executor is killed.
 */
export type KillExecutorFault = { kind: 'kill-executor'; worker: string; then?: CrashThen };

/**
 * SIGKILL the executor a worker forked; the worker forks a new one itself. It holds the worker
 * (whose executor dies and freezes with it) only at the instant it is placed: its heal undoes
 * nothing, so the worker may be killed or paused while it recovers. In simulation, half the
 * executor kills also stop the worker during its recovery (`then`: at one of its first commands
 * after the death); such a step holds the worker for its window, and its heal brings it back.
 */
export const killExecutor: BuiltinKindModule<KillExecutorFault> = {
  kind: 'kill-executor',
  summary: "a worker's executor killed (SIGKILL); the worker starts a new one itself",
  family: 'process',
  effect: 'ends',
  colour: COLOURS.death,
  target: (f) => `executor of ${f.worker}`,
  resource: (f) => `process ${f.worker}`,
  holdMs: (step) => (step.fault.then ? step.durationMs : 0),
  // the second stop is drawn live too and dropped there, so that a seed and path draw the same
  // schedule live and simulated, but for the second stops (a simulated run's live twin)
  arbitrary: (t) => fc.record({ kind: fc.constant('kill-executor' as const), worker: fc.constantFrom(...t.workers) })
    .chain((f) => fc.option(secondStopArb(t, f.worker), { nil: undefined, freq: 2 }).map((then) => (then && t.simulated ? { ...f, then } : f))),
  // recorded as the executor kill it is (the second stop is recorded as a fault of its own when it fires)
  recordedAs: (f) => ({ fault: { kind: 'kill-executor', worker: f.worker } }),
  // live it is drawn and dropped: the same path replays the kill without the second stop
  simulationOnly: (f) => (f.then ? 'the second stop of its executor kill needs the simulation to see each command reach Redis' : undefined),
  async inject(env, fault, stepId, window) {
    const worker = env.processControl(fault.worker);
    if (!worker.alive()) return { empty: `${fault.worker} is not running` };
    if (!worker.killExecutor()) return { empty: `${fault.worker} has no executor` };
    if (fault.then) armSecondStop(env, fault.worker, fault.then, undefined, stepId, window, 'executor kill');
  },
  async heal(env, fault, stepId) {
    // the worker restarts its executor; a second stop is undone
    if (!fault.then) return;
    await secondStopDone(stepId);
    const p = env.processControl(fault.worker);
    if (fault.then.action === 'pause') p.resume();
    else if (!p.alive()) await p.start();
  },
};
