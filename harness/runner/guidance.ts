// Guided search (simulation only): a corpus of the plans (workload and fault schedule) whose runs
// reached behaviour no earlier run had, and a plan arbitrary that mutates those more often than
// it draws fresh ones, the way coverage-guided fuzzers (AFL, libFuzzer) and Antithesis do.
//
// Behaviour is read from what a run leaves anyway, whatever the system: the keepers' transitions
// (from, to, decision, reason, source), each fault by the part it hit and whether that part held
// work (a crash point also by the command it waited for), the recovery paths the statistics
// count, and the checkers' own statistics, each count in power-of-two buckets as AFL's hit counts.
//
// Determinism: a simulated run is a function of its plan and the seed, so the corpus before run i
// is a function of runs 0..i-1, and run i's plan a function of that corpus and run i's own
// random stream (fast-check gives every run its own). A replay by `--seed S --path P` therefore
// first re-runs the runs before P's (rebuilding the corpus, runs not reported), then replays P;
// shrinking a mutated plan drops its steps one at a time, deterministically too.

import fc from 'fast-check';
import type { RunStats } from '../checkers/index.ts';
import type { History, Verdict } from '../history/types.ts';
import { withoutOverlaps, type FaultStep, type Schedule } from '../nemesis/index.ts';
import type { Workload } from '../workload/workload.ts';

export type Plan = [Workload, Schedule];

/** power-of-two buckets of a count (0, 1, 2, 3, 4-7, 8-15, ...), as AFL buckets its hit counts */
export function bucket(n: number): number {
  if (n <= 3) return Math.max(0, Math.floor(n));
  return 2 ** Math.floor(Math.log2(n));
}

/** What a run did, as a set of small strings; a run that adds one the corpus has not seen is kept. */
export function behaviourOf(history: History, stats: RunStats, verdicts: readonly Verdict[]): Set<string> {
  const out = new Set<string>();
  for (const e of history) {
    if (e.kind === 'transition') out.add(`t ${e.source} ${e.from}>${e.to} ${e.decision}${e.decision === 'ignored' ? ` ${e.reason}` : ''}`);
    else if (e.kind === 'nemesis' && e.type === 'start') {
      const trigger = (e.detail as { trigger?: { command?: string } } | undefined)?.trigger;
      out.add(`f ${e.fault} ${e.outcome ?? 'ok'}${trigger ? ` after ${trigger.command}` : ''}`);
    }
  }
  for (const hit of stats.faultsHit) out.add(`hit ${hit}`);
  for (const [k, v] of Object.entries(stats)) if (typeof v === 'number') out.add(`s ${k} ${bucket(v)}`);
  for (const v of verdicts) {
    out.add(`v ${v.checker} ${v.valid}`);
    for (const [k, n] of Object.entries(v.stats ?? {})) out.add(`v ${v.checker}.${k} ${bucket(n)}`);
  }
  return out;
}

export interface CorpusEntry {
  plan: Plan;
  /** how many behaviours it was the first to reach */
  novel: number;
}

/** The plans that reached new behaviour, and every behaviour seen so far. */
export class Corpus {
  readonly entries: CorpusEntry[] = [];
  readonly seen = new Set<string>();

  /** Keeps `plan` when its run reached a behaviour not seen before; returns how many it reached. */
  offer(plan: Plan, behaviour: Iterable<string>): number {
    let novel = 0;
    for (const b of behaviour) {
      if (this.seen.has(b)) continue;
      this.seen.add(b);
      novel++;
    }
    if (novel > 0) this.entries.push({ plan, novel });
    return novel;
  }
}

export interface GuidanceOptions {
  /**
   * while this holds, every draw is fresh (a scenario's own number of runs: a run of that count
   * draws exactly what an unguided one does, so its coverage goals are as likely met)
   */
  freshOnly?: () => boolean;
  /** out of 8 draws, how many mutate a corpus entry (the rest are fresh); default 6 */
  mutateEighths?: number;
  /** durations stay within [0, maxDurationMs] (default 30 s: past any system timer worth finding) */
  maxDurationMs?: number;
}

/** what a guided draw was: a fresh plan (shrinks as its arbitrary does), or a mutation (shrinks by dropping steps) */
type Origin = { fresh: true; context: unknown } | { fresh: false };

const MUTATIONS = ['shift', 'stretch', 'tweak', 'add', 'drop', 'align', 'splice'] as const;
type Mutation = (typeof MUTATIONS)[number];

/**
 * Plans for a guided search: with an empty corpus, fresh draws of `fresh`; then, 6 times in 8, a
 * corpus entry's workload with its schedule mutated 1-3 times (havoc), else a fresh draw. Every
 * schedule is normalised as generated ones are (withoutOverlaps, never empty).
 */
export class GuidedPlans extends fc.Arbitrary<Plan> {
  /** the schedules this arbitrary made by mutation (and their shrinks), to tell them from fresh draws */
  private readonly mutated = new WeakSet<Schedule>();

  constructor(
    private readonly fresh: fc.Arbitrary<Plan>,
    private readonly corpus: Corpus,
    private readonly o: GuidanceOptions = {},
  ) {
    super();
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Plan> {
    const mutate = !(this.o.freshOnly?.() ?? false) && this.corpus.entries.length > 0 && mrng.nextInt(0, 7) < (this.o.mutateEighths ?? 6);
    if (mutate) {
      const parent = this.corpus.entries[mrng.nextInt(0, this.corpus.entries.length - 1)]!.plan;
      // a plan run already is not run again: a few tries at a schedule that differs, else a fresh draw
      // (a scenario without faults has empty schedules: every draw is fresh)
      for (let attempt = 0; attempt < 3 && parent[1].length > 0; attempt++) {
        let schedule = parent[1];
        const rounds = mrng.nextInt(1, 3);
        for (let i = 0; i < rounds; i++) schedule = this.mutateOnce(schedule, mrng, biasFactor);
        if (JSON.stringify(schedule) !== JSON.stringify(parent[1])) return this.mutation(parent[0], schedule);
      }
    }
    const v = this.fresh.generate(mrng, biasFactor);
    return new fc.Value(v.value_, { fresh: true, context: v.context } satisfies Origin);
  }

  /** how a schedule this arbitrary gave was drawn */
  drawnBy(schedule: Schedule): 'fresh' | 'mutation' {
    return this.mutated.has(schedule) ? 'mutation' : 'fresh';
  }

  private mutation(workload: Workload, schedule: Schedule): fc.Value<Plan> {
    const own = [...schedule];
    this.mutated.add(own);
    return new fc.Value<Plan>([workload, own], { fresh: false } satisfies Origin);
  }

  canShrinkWithoutContext(value: unknown): value is Plan {
    return false;
  }

  shrink(value: Plan, context: unknown): fc.Stream<fc.Value<Plan>> {
    const origin = context as Origin | undefined;
    if (origin?.fresh) {
      return this.fresh.shrink(value, origin.context).map((v) => new fc.Value(v.value_, { fresh: true, context: v.context } satisfies Origin));
    }
    // a mutated schedule shrinks by dropping one step at a time (then again from the smaller one)
    const [workload, schedule] = value;
    if (schedule.length <= 1) return fc.Stream.nil();
    return fc.Stream.of(...schedule.map((_, i) => this.mutation(workload, schedule.filter((__, j) => j !== i))));
  }

  private mutateOnce(schedule: Schedule, mrng: fc.Random, biasFactor: number | undefined): Schedule {
    // a scenario without faults (its schedules are empty) has nothing to mutate
    if (schedule.length === 0) return schedule;
    const steps = schedule.map((s) => ({ ...s, fault: { ...s.fault } }));
    const pick = () => mrng.nextInt(0, steps.length - 1);
    const maxDuration = this.o.maxDurationMs ?? 30_000;
    const kind: Mutation = MUTATIONS[mrng.nextInt(0, MUTATIONS.length - 1)]!;
    switch (kind) {
      case 'shift': {
        // a little (a command boundary or two) or a lot (another phase of the run)
        const s = steps[pick()]!;
        const by = mrng.nextInt(0, 1) === 0 ? mrng.nextInt(-50, 50) : mrng.nextInt(-2000, 2000);
        s.atMs = Math.max(0, s.atMs + by);
        break;
      }
      case 'stretch': {
        const s = steps[pick()]!;
        const factor = [0.25, 0.5, 2, 4][mrng.nextInt(0, 3)]!;
        s.durationMs = Math.min(maxDuration, Math.max(0, Math.round(s.durationMs * factor) + mrng.nextInt(0, 100)));
        break;
      }
      case 'tweak': {
        // one parameter of the fault: a number nudged or scaled, a choice flipped to a value the
        // scenario draws elsewhere (a fresh step of the same kind shows which values it has); a
        // fault with a second stop (`then`), or whose kind draws one, may have that tweaked instead
        const s = steps[pick()]!;
        const f = s.fault as unknown as Record<string, unknown>;
        const otherStep = this.freshSteps(mrng, biasFactor).find((x) => x.fault.kind === s.fault.kind);
        const other = otherStep?.fault as unknown as Record<string, unknown> | undefined;
        const nested = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
        if ((nested(f.then) || nested(other?.then)) && mrng.nextInt(0, 2) === 0) {
          // the second stop: switched on or off as the other draw has it, or one of its parameters tweaked
          if (!nested(f.then) || !nested(other?.then)) {
            if (nested(other?.then)) f.then = { ...other.then };
            else delete f.then;
          } else {
            const then = { ...f.then };
            tweakParams(then, other.then, mrng);
            f.then = then;
          }
          break;
        }
        const numeric = Object.keys(f).filter((k) => typeof f[k] === 'number');
        const choices = other ? Object.keys(other).filter((k) => k !== 'kind' && typeof other[k] === 'string' && other[k] !== f[k]) : [];
        if (other && choices.length > 0 && (numeric.length === 0 || mrng.nextInt(0, 1) === 0)) {
          const k = choices[mrng.nextInt(0, choices.length - 1)]!;
          if (k === 'process' || k === 'worker' || k === 'link') {
            // another target: the other step's fault whole (its parameters fit its target)
            s.fault = otherStep!.fault;
          } else tweakParams(f, other, mrng, k);
        } else if (numeric.length > 0) tweakParams(f, undefined, mrng);
        break;
      }
      case 'add': {
        const fresh = this.freshSteps(mrng, biasFactor);
        if (fresh.length > 0) steps.push(fresh[mrng.nextInt(0, fresh.length - 1)]!);
        break;
      }
      case 'drop':
        if (steps.length > 1) steps.splice(pick(), 1);
        break;
      case 'align': {
        // compound and triggered faults: a step moved to begin with another, or right after its heal
        // (a crash during recovery)
        if (steps.length < 2) {
          const fresh = this.freshSteps(mrng, biasFactor);
          if (fresh.length > 0) steps.push(fresh[mrng.nextInt(0, fresh.length - 1)]!);
        }
        const a = steps[pick()]!;
        let b = steps[pick()]!;
        if (a === b) b = steps[(steps.indexOf(a) + 1) % steps.length]!;
        b.atMs = mrng.nextInt(0, 1) === 0 ? a.atMs + mrng.nextInt(0, 20) : a.atMs + a.durationMs + mrng.nextInt(1, 50);
        break;
      }
      case 'splice': {
        // crossover: some steps of another corpus entry join these
        const other = this.corpus.entries[mrng.nextInt(0, this.corpus.entries.length - 1)]!.plan[1];
        const s = other[mrng.nextInt(0, Math.max(0, other.length - 1))];
        if (s) steps.push({ ...s, fault: { ...s.fault } });
        break;
      }
    }
    const normalised = withoutOverlaps(steps);
    return normalised.length > 0 ? normalised : schedule;
  }

  /** the steps of one fresh schedule of the scenario: what it draws, for `add` and `tweak` */
  private freshSteps(mrng: fc.Random, biasFactor: number | undefined): FaultStep[] {
    return this.fresh.generate(mrng, biasFactor).value_[1];
  }
}

/**
 * One parameter of `f` tweaked in place: a choice (`key`, or one drawn among those where `other`
 * differs) switched to `other`'s value (a crash point's watched role and command go together), or
 * else a number nudged or scaled.
 */
function tweakParams(f: Record<string, unknown>, other: Record<string, unknown> | undefined, mrng: fc.Random, key?: string): void {
  const numeric = Object.keys(f).filter((k) => typeof f[k] === 'number');
  const choices = key !== undefined ? [key] : other ? Object.keys(other).filter((k) => k !== 'kind' && typeof other[k] === 'string' && other[k] !== f[k]) : [];
  if (other && choices.length > 0 && (key !== undefined || numeric.length === 0 || mrng.nextInt(0, 1) === 0)) {
    const k = choices[mrng.nextInt(0, choices.length - 1)]!;
    if (k === 'watch' || k === 'command') {
      f.watch = other.watch;
      f.command = other.command;
    } else f[k] = other[k];
  } else if (numeric.length > 0) {
    const k = numeric[mrng.nextInt(0, numeric.length - 1)]!;
    const v = f[k] as number;
    const next = mrng.nextInt(0, 1) === 0 ? v + mrng.nextInt(-3, 3) : Math.round(v * [0.5, 2][mrng.nextInt(0, 1)]!);
    f[k] = Math.max(k === 'nth' || k === 'averageSize' || k === 'rateKBps' || k === 'bytes' ? 1 : 0, next);
  }
}

