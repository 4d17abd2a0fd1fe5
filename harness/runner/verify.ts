import { PLANTED_BUGS, type PlantedBug } from '../../scenarios/planted-bugs.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import type { RunRecord, ScenarioResult } from './property.ts';
import type { Scenario } from './scenario.ts';
import { Suite, type EnvKind, type SuiteResult } from './suite.ts';

export interface VerifyRow {
  bug: string;
  caught: boolean;
  caughtBy: string | null;
  /** checkers that reported the shrunk counterexample */
  checkers: string[];
  /** checkers that reported the first failing run (before shrinking, which may settle on another symptom) */
  firstRunCheckers: string[];
  /** the expected checker fired (on the first failing run or the shrunk one) */
  expectedChecker: boolean;
  /** runs until the first failing run (before shrinking) */
  runsToDetect: number | null;
  /** time from the scenario's start to the end of its first failing run */
  timeToDetectMs: number | null;
  /** time including shrinking */
  totalMs: number;
  scheduleSize: number | null;
  seed: number;
  path: string | null;
  /** caught in simulation: the replay command carries --sim */
  sim?: boolean;
  /** caught in containers: the replay command carries --env docker */
  env?: 'docker';
}

export interface VerifyResult {
  rows: VerifyRow[];
  control: SuiteResult;
  ok: boolean;
}

export interface VerifyOptions {
  seed: number;
  bugs?: string[];
  /** scale every bug's run count (CI uses fewer) */
  runs?: number;
  budgetPerBugMs?: number;
  /** runs per scenario for the correct system (default: each scenario's own) */
  controlRuns?: number;
  /** in simulation (harness/sim/) */
  sim?: boolean;
  /** live runs in local processes (default) or containers */
  env?: EnvKind;
  onProgress?: (line: string) => void;
  /** run only these planted bugs (a shard's part; default: every selected bug) */
  runBugs?: (bugs: readonly PlantedBug[]) => PlantedBug[];
  /** run only these control scenarios (a shard's part; default: every one the bugs name) */
  runControl?: (scenarios: readonly Scenario[]) => Scenario[];
}

/** The planted bugs a verify run selects, and the scenarios the correct system must pass, in canonical order. */
export function verifyWork(bugNames?: readonly string[]): { bugs: PlantedBug[]; control: Scenario[] } {
  const bugs = PLANTED_BUGS.filter((b) => !bugNames || bugNames.includes(b.name));
  return { bugs, control: SCENARIOS.filter((s) => bugs.some((b) => b.scenarios.includes(s.name))) };
}

function rowFrom(bug: PlantedBug, result: ScenarioResult | undefined, totalMs: number, seed: number): VerifyRow {
  const failing = result?.verdict === 'fail' ? result : undefined;
  const first = failing?.records.find((r) => !r.valid);
  const fired = (r: RunRecord | undefined) => r?.verdicts.filter((v) => v.valid === false).map((v) => v.checker) ?? [];
  const checkers = fired(failing?.failure?.run);
  const firstRunCheckers = fired(first);
  return {
    bug: bug.name,
    caught: Boolean(failing),
    caughtBy: failing?.scenario ?? null,
    checkers,
    firstRunCheckers,
    expectedChecker: [...checkers, ...firstRunCheckers].some((c) => bug.checkers.includes(c)),
    runsToDetect: first ? first.index + 1 : null,
    timeToDetectMs: first ? first.endedAtMs : null,
    totalMs,
    scheduleSize: failing?.failure?.run.schedule.length ?? null,
    seed,
    path: failing?.failure?.path ?? null,
  };
}

/** Every planted bug must be caught by its own scenarios, and the correct system must pass them. */
/** a simulated control's share per scenario */
const CONTROL_SEARCH_MS = 1000;

export async function verify(o: VerifyOptions): Promise<VerifyResult> {
  const work = verifyWork(o.bugs);
  const bugs = o.runBugs ? o.runBugs(work.bugs) : work.bugs;
  const rows: VerifyRow[] = [];
  for (const bug of bugs) {
    const started = Date.now();
    let caught: ScenarioResult | undefined;
    for (const name of bug.scenarios) {
      const scenario = SCENARIOS.find((s) => s.name === name)!;
      o.onProgress?.(`[verify] ${bug.name}: trying ${name}`);
      const remaining = o.budgetPerBugMs !== undefined ? o.budgetPerBugMs - (Date.now() - started) : undefined;
      if (remaining !== undefined && remaining < 1000) break;
      const result = await new Suite({
        scenarios: [scenario], seed: o.seed, runs: o.runs ?? bug.runs, bugs: [bug.name], keepers: bug.keepers, budgetMs: remaining, sim: o.sim, env: o.env,
        // the run counts as caught only when the checker this bug must trip fires
        failOn: bug.checkers,
      }).run();
      const r = result.scenarios[0];
      if (r?.verdict === 'incomplete') throw new Error(`${bug.name} in ${name}: ${r.error}`);
      if (r?.verdict === 'fail') {
        caught = r;
        break;
      }
    }
    const row: VerifyRow = { ...rowFrom(bug, caught, Date.now() - started, o.seed), ...(o.sim ? { sim: true } : {}), ...(o.env === 'docker' ? { env: 'docker' as const } : {}) };
    rows.push(row);
    o.onProgress?.(`[verify] ${bug.name}: ${row.caught ? `caught by ${row.caughtBy} (${row.checkers.join(', ')}) after ${row.runsToDetect} runs` : 'ESCAPED'}`);
  }
  const controlScenarios = o.runControl ? o.runControl(work.control) : work.control;
  o.onProgress?.(`[verify] correct system on ${controlScenarios.map((s) => s.name).join(', ')}`);
  // in simulation the control searches (CONTROL_SEARCH_MS a scenario, longer while a coverage goal
  // is unmet, never fewer than its own runs), so a correct system is not VACUOUS by a seed's chance
  // live, a control scenario whose coverage goals its own runs left unmet draws more (up to the cap)
  const search = o.controlRuns !== undefined ? {} : o.sim ? { budgetMs: CONTROL_SEARCH_MS * controlScenarios.length } : { coverUntilCap: true };
  const control = await new Suite({ scenarios: controlScenarios, seed: o.seed, runs: o.controlRuns, bugs: [], sim: o.sim, env: o.env, ...search }).run();
  const controlOk = control.complete && control.scenarios.every((s) => s.verdict === 'pass');
  return { rows, control, ok: controlOk && rows.every((r) => r.caught && r.expectedChecker) };
}
