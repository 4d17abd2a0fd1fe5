import type { RunEnvironment } from '../env/surface.ts';
import type { HistoryRecorder } from '../history/recorder.ts';
import type { InjectOutcome } from '../history/types.ts';
import { findFaultKind, kindOf } from './kinds/index.ts';
import { describeStep, findClash, resourceOf, targetOf, type Fault, type Schedule } from './types.ts';

export * from './types.ts';
export { registerFaultKinds, type CustomFault, type FaultFamily, type FaultKindModule } from './kind.ts';
export { BUILTIN_FAULT_KINDS, effectiveFault, findFaultKind, maxDelayMs, type BuiltinKindModule } from './kinds/index.ts';

/** the family and effect of a kind, for a nemesis start entry (each absent when its module names none) */
const familyOf = (fault: Fault) => {
  const mod = findFaultKind(fault.kind);
  return { ...(mod?.family ? { family: mod.family } : {}), ...(mod?.effect ? { effect: mod.effect } : {}) };
};

const sleepUntil = (history: HistoryRecorder, atMs: number) =>
  new Promise<void>((r) => setTimeout(r, Math.max(0, atMs - history.now())));

/**
 * The nemesis: plays a schedule against the environment, writing each step's start and end
 * into the same history as the client's operations. Resolves when every step has healed.
 * Refuses (rejects before injecting anything) a schedule in which two steps overlap on one
 * resource (see resourceOf): the first heal would end the other step early, so what ran would
 * not be what the schedule says. Generated schedules never have such a pair (withoutOverlaps).
 */
export async function playSchedule(env: RunEnvironment, schedule: Schedule, history: HistoryRecorder): Promise<void> {
  const clash = findClash(schedule);
  if (clash) {
    const [a, b] = clash;
    throw new Error(`fault schedule has two overlapping steps on ${resourceOf(a.fault)}: "${describeStep(a)}" and "${describeStep(b)}" (the first heal would end the other early; withoutOverlaps drops the later one)`);
  }
  await Promise.all(schedule.map(async (step, stepId) => {
    const mod = kindOf(step.fault);
    // a step is recorded as what it did (a crash point: a kill, a pause, an executor kill, with its trigger)
    let recorded = mod.recordedAs?.(step.fault);
    let hitFault = recorded?.fault ?? step.fault;
    await sleepUntil(history, step.atMs);
    const healAt = sleepUntil(history, step.atMs + step.durationMs);
    // the step starts when its injection begins: what the fault sets off (a worker re-running the
    // job of its killed executor) can follow within the same millisecond, before inject returns
    let startedAt = history.now();
    // what the injection did: a failed or empty one is recorded as such and never counts as a fault
    // further faults the step sets off (a crash point's `then`, a poison job's later strikes): each
    // its own start now and its end at end() or the step's heal, under a step id past the
    // schedule's (the k-th further of step s: (k + 1) * schedule.length + s, unique in the run)
    const furthers: { end(): void }[] = [];
    const also = (fault: Fault, detail: Record<string, unknown> = {}) => {
      const further = { kind: 'nemesis' as const, stepId: (furthers.length + 1) * schedule.length + stepId, fault: fault.kind, target: targetOf(fault) };
      history.add({ ...further, t: history.now(), type: 'start', outcome: 'ok', ...familyOf(fault), detail: { ...fault, ...detail } });
      let open = true;
      const handle = { end: () => {
        if (open) history.add({ ...further, t: history.now(), type: 'end' });
        open = false;
      } };
      furthers.push(handle);
      return handle;
    };
    let endedEarly: Promise<void> | undefined;
    const injected = await mod.inject(env, step.fault, stepId, { healAt, also }).then(
      (r): { outcome: InjectOutcome; note?: Record<string, string> } => {
        if (r && 'empty' in r) return { outcome: 'empty', note: { why: r.empty } };
        // a triggered step starts when its trigger fired, as what it did when only the trigger could say
        if (r && 'fired' in r) {
          startedAt = history.now();
          if (r.as) {
            recorded = { fault: r.as.fault, detail: r.as.detail };
            hitFault = r.as.fault;
            endedEarly = r.as.ended;
          }
        }
        return { outcome: 'ok' };
      },
      (e: unknown) => ({ outcome: 'failed' as const, note: { error: String(e) } }),
    );
    const base = { kind: 'nemesis' as const, stepId, fault: hitFault.kind, target: targetOf(hitFault) };
    // what it hit, where the environment says (the docker environment: a container and the operation on it)
    const resource = resourceOf(step.fault);
    const hit = injected.outcome === 'ok' && resource !== undefined ? env.lastOperation?.(resource) : undefined;
    history.add({ ...base, t: startedAt, type: 'start', outcome: injected.outcome, ...familyOf(hitFault), detail: { ...hitFault, ...recorded?.detail, ...injected.note, ...(hit ? { hit: { ...hit } } : {}) } });
    // a step that says when what it did was over ends there, if that is before its heal
    // (what failed in bringing it back is the heal's to report)
    const endedFirst = endedEarly ? await Promise.race([endedEarly.then(() => true, () => false), healAt.then(() => false)]) : false;
    if (endedFirst) history.add({ ...base, t: history.now(), type: 'end' });
    await healAt;
    const healError = await mod.heal(env, step.fault, stepId).then(() => undefined, (e: unknown) => String(e));
    if (!endedFirst || healError) history.add({ ...base, t: history.now(), type: 'end', ...(healError ? { detail: { error: healError } } : {}) });
    for (const f of furthers) f.end();
  }));
}

/** The final heal every run ends with: Redis up, every toxic gone, every link up, every process running. */
export async function healAll(env: RunEnvironment): Promise<void> {
  if (!env.redisControl.alive()) await env.redisControl.restart();
  await env.healLinks();
  await env.healProcesses();
}
export * from './arbitraries.ts';
