// mutants: how much of a realistic mistake the default simulated suite catches. Each mutant is one
// small unified diff against system-under-test/ (harness/bench/mutants/<name>.patch, a header the
// patch tool ignores says what the mistake is and why it is realistic). It is never committed as a
// copy: at bench time system-under-test/ is copied to .cache/mutants/<name>/system-under-test/
// (inside the project, so its imports resolve to the project's node_modules) and the patch
// applied. Then, per seed, exactly what `npm run chaos -- --sim --seed S` runs is run against the
// copy, in a child process pointed at the copy's embed.ts by CHAOS_SIM_EMBED (harness/sim/run.ts),
// so each mutant gets a fresh module graph and one that hangs or crashes cannot take the bench
// with it. The correct system goes through the same path first, as the control: a copy with no
// patch must pass every seed, or the figures mean nothing.
//
// Planted bugs (system-under-test/bugs/) are not mutants: they are the mistakes the harness was
// built around, and a benchmark of them measures the harness against its own training set.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Table from 'cli-table3';
import { PROJECT_ROOT } from '../env/binaries.ts';
import { median, secs, type BenchContext, type BenchOutput, type Benchmark } from './common.ts';

export const MUTANTS_DIR = path.join(PROJECT_ROOT, 'harness', 'bench', 'mutants');
export const MUTANTS_CACHE = path.join(PROJECT_ROOT, '.cache', 'mutants');
const SUT_DIR = 'system-under-test';
/** the control's copy: the correct system through the same path as the mutants */
export const CONTROL = 'reference';
/** a default suite takes ~15 s per seed on 2 cores; a child still running after this is stuck */
const CHILD_TIMEOUT_MS = 15 * 60_000;

export interface Mutant {
  name: string;
  /** which weakness of the judge it targets (the header's `Weakness:` line) */
  weakness: string;
  /** the mistake and why it is realistic (the header's paragraph) */
  description: string;
  patchFile: string;
}

export interface MutantBenchContext extends BenchContext {
  /** --mutant: only these (default: every mutant) */
  mutants?: string[];
  /** --seeds: the seeds each system runs the suite with (default: seed .. seed+4) */
  seeds?: number[];
  /** --unguided: every suite runs with --no-guidance (plans drawn fresh), to measure what guidance adds */
  unguided?: boolean;
}

/** The mutants in harness/bench/mutants/, by name. */
export function listMutants(dir = MUTANTS_DIR): Mutant[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .map((f) => {
      const patchFile = path.join(dir, f);
      const text = readFileSync(patchFile, 'utf8');
      const at = text.search(/^diff --git /m);
      if (at < 0) throw new Error(`mutant ${f}: no "diff --git" in ${path.relative(PROJECT_ROOT, patchFile)}`);
      const header = text.slice(0, at).split('\n');
      const weakness = header.find((l) => l.startsWith('Weakness: '))?.slice('Weakness: '.length) ?? '';
      const description = header.filter((l) => !/^(Mutant|Weakness): /.test(l)).join(' ').replace(/\s+/g, ' ').trim();
      // a mutant changes the reference system and nothing else
      for (const m of text.slice(at).matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)) {
        if (!m[1]!.startsWith(`${SUT_DIR}/`) || !m[2]!.startsWith(`${SUT_DIR}/`)) throw new Error(`mutant ${f}: patches ${m[1]}, outside ${SUT_DIR}/`);
      }
      return { name: f.slice(0, -'.patch'.length), weakness, description, patchFile };
    });
}

/**
 * Copies system-under-test/ to .cache/mutants/<name>/ and applies the mutant's patch (none for the
 * control); returns the copy's embed.ts. A patch that no longer applies is one line of error.
 */
export function materialize(mutant: Mutant | typeof CONTROL, cache = MUTANTS_CACHE): string {
  const name = mutant === CONTROL ? CONTROL : mutant.name;
  const root = path.join(cache, name);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  cpSync(path.join(PROJECT_ROOT, SUT_DIR), path.join(root, SUT_DIR), { recursive: true });
  if (mutant !== CONTROL) {
    // git apply as a plain patch tool: the ceiling keeps it from finding the project's repository
    // above the copy (it would then apply paths relative to the repository, or skip them)
    const apply = (check: boolean) =>
      spawnSync('git', ['apply', ...(check ? ['--check'] : []), '-p1', '--whitespace=nowarn', mutant.patchFile], {
        cwd: root, encoding: 'utf8', env: { ...process.env, GIT_CEILING_DIRECTORIES: cache },
      });
    const checked = apply(true);
    const result = checked.status === 0 ? apply(false) : checked;
    if (result.error || result.status !== 0) {
      const why = (result.error?.message ?? result.stderr).trim().split('\n')[0] ?? `git apply exited ${result.status}`;
      throw new Error(`mutant ${name}: its patch no longer applies to ${SUT_DIR}/ (${why})`);
    }
  }
  const embed = path.join(root, SUT_DIR, 'embed.ts');
  if (!existsSync(embed)) throw new Error(`mutant ${name}: the copy has no ${SUT_DIR}/embed.ts`);
  return embed;
}

// ---------------------------------------------------------------------------------------
// one suite run against a copy

export type SuiteVerdict = 'pass' | 'fail' | 'unknown' | 'vacuous' | 'incomplete';

export interface SeedResult {
  seed: number;
  /** the chaos command's exit code (0 pass, 1 a failing gate, 2 usage/environment) */
  exitCode: number | null;
  /** a checker found a violation in some scenario */
  caught: boolean;
  /** scenarios that failed, each with the checkers that found violations, in suite order */
  caughtBy: { scenario: string; checkers: string[] }[];
  /** scenarios whose verdict was unknown (checkers could not decide: no violation, but no pass) */
  unknown: { scenario: string; checkers: string[] }[];
  /** scenarios whose coverage goals were never met */
  vacuous: string[];
  /** the suite was cut short (a harness error), or the command failed outright */
  error?: string;
  /** wall time from the suite's start (its first log line) to the end of the first failing run */
  wallToDetectMs: number | null;
  /** runs (not counting shrinking runs) up to and including the first failing one, over the whole suite */
  runsToDetect: number | null;
  /** runs of the whole suite (shrinking runs not counted) */
  runs: number;
  /** wall time of the whole command, shrinking and report included */
  totalMs: number;
}

interface SuiteJson {
  complete: boolean;
  scenarios: { scenario: string; verdict: SuiteVerdict; error?: string; unknown: { checker: string }[]; failure?: { violations: { checker: string }[] } }[];
}

const RUN_LINE = /^\[([\w-]+)\] run (\d+)( \(shrinking\))?: (ok|VIOLATION|UNKNOWN)(?: \(([^)]*)\))?/;
/** a scenario's end line (plain output): its verdict and runs */
const END_LINE = /^\[([\w-]+)\] (PASS|FAIL|UNKNOWN|VACUOUS|INCOMPLETE): (\d+) runs/;

/**
 * `chaos --sim --seed S` (the default suite: a budgeted search over every scenario) against the
 * copy whose embed.ts is `embed`. With `stopAtFirst` (the mutants), the child is stopped at its
 * first violating run: the suite has caught the mistake then, and what it would do next (shrink,
 * go on with the other scenarios) does not change that. The control always runs to the end.
 */
export function runSuite(embed: string, seed: number, reportDir: string, stopAtFirst = false, unguided = false): Promise<SeedResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'harness', 'cli', 'main.ts'), '--sim', ...(unguided ? ['--no-guidance'] : []), '--seed', String(seed), '--json', '--report-dir', reportDir], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CHAOS_SIM_EMBED: embed },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // the child is this bench's: it does not outlive it. Its --jobs children (chaos --sim runs a
    // budgeted search as one process per core, harness/cli/jobs.ts) end with it: each holds an IPC
    // channel to it and exits when that closes, so SIGKILL of this child leaves none behind
    const killChild = () => child.kill('SIGKILL');
    process.once('exit', killChild);
    const timer = setTimeout(killChild, CHILD_TIMEOUT_MS);
    let stdout = '';
    let tail = '';
    let partial = '';
    let suiteStart: number | undefined;
    /**
     * runs of the scenarios that have ended, and of those running now (each one's last run line).
     * Under --jobs several scenarios run at once, their lines interleaved: the runs "over the whole
     * suite" up to the first failing one are then those of the lines seen so far, all jobs together
     * (what one process would have run before it depends on the order, which jobs do not have).
     */
    let endedRuns = 0;
    const currentRuns = new Map<string, number>();
    const runsSoFar = () => endedRuns + [...currentRuns.values()].reduce((a, b) => a + b, 0);
    let wallToDetectMs: number | null = null;
    let runsToDetect: number | null = null;
    let firstCatch: { scenario: string; checkers: string[] } | undefined;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    // per-run lines are read as they come: their arrival time is the time to detect
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      const now = Date.now();
      const lines = (partial + s).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        tail = (tail + line + '\n').slice(-2000);
        if (line.startsWith('chaos: ')) suiteStart ??= now;
        const end = END_LINE.exec(line);
        if (end) {
          endedRuns += Number(end[3]);
          currentRuns.delete(end[1]!);
          continue;
        }
        const m = RUN_LINE.exec(line);
        if (!m || m[3]) continue;
        // a budgeted search names every failing or unknown run and every hundredth: the run number counts
        currentRuns.set(m[1]!, Number(m[2]));
        if (m[4] === 'VIOLATION' && runsToDetect === null) {
          runsToDetect = runsSoFar();
          wallToDetectMs = now - (suiteStart ?? started);
          firstCatch = { scenario: m[1]!, checkers: (m[5] ?? '').split(', ').filter(Boolean) };
          if (stopAtFirst) killChild();
        }
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      process.off('exit', killChild);
      const base = { seed, exitCode: code, wallToDetectMs, runsToDetect, runs: runsSoFar(), totalMs: Date.now() - started };
      if (stopAtFirst && firstCatch) {
        resolve({ ...base, caught: true, caughtBy: [firstCatch], unknown: [], vacuous: [] });
        return;
      }
      let json: SuiteJson;
      try {
        json = JSON.parse(stdout) as SuiteJson;
      } catch {
        const why = code === null ? `killed after ${secs(CHILD_TIMEOUT_MS, 0)}` : `exit ${code}`;
        resolve({ ...base, caught: false, caughtBy: [], unknown: [], vacuous: [], error: `chaos gave no summary (${why}): ${tail.trim().split('\n').slice(-3).join(' | ')}` });
        return;
      }
      const caughtBy = json.scenarios.filter((s) => s.verdict === 'fail').map((s) => ({ scenario: s.scenario, checkers: [...new Set((s.failure?.violations ?? []).map((v) => v.checker))] }));
      const incomplete = json.scenarios.filter((s) => s.verdict === 'incomplete');
      resolve({
        ...base,
        caught: caughtBy.length > 0,
        caughtBy,
        unknown: json.scenarios.filter((s) => s.verdict === 'unknown').map((s) => ({ scenario: s.scenario, checkers: s.unknown.map((u) => u.checker) })),
        vacuous: json.scenarios.filter((s) => s.verdict === 'vacuous').map((s) => s.scenario),
        ...(incomplete.length || !json.complete ? { error: `suite incomplete: ${incomplete.map((s) => `${s.scenario}: ${s.error ?? '?'}`).join('; ') || 'cut short'}` } : {}),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------
// the benchmark

export interface SystemResult {
  name: string;
  weakness: string;
  description: string;
  patch: string | null;
  seeds: SeedResult[];
  caught: number;
  medianWallToDetectMs: number;
  medianRunsToDetect: number;
}

/** One table cell: what the suite said with one seed. */
function cell(r: SeedResult): string {
  if (r.caught) {
    const [first, ...more] = r.caughtBy;
    return `caught: ${first!.checkers.join('+')} in ${first!.scenario}${more.length ? ` (+${more.length})` : ''}`;
  }
  if (r.error) return `ERROR`;
  const other = [
    ...(r.unknown.length ? [`unknown: ${[...new Set(r.unknown.flatMap((u) => u.checkers))].join('+')} in ${r.unknown.length} scenario${r.unknown.length === 1 ? '' : 's'}`] : []),
    ...(r.vacuous.length ? [`vacuous: ${r.vacuous.join(',')}`] : []),
  ];
  return other.length ? `no (${other.join('; ')})` : 'no (pass)';
}

function summarize(name: string, weakness: string, description: string, patch: string | null, seeds: SeedResult[]): SystemResult {
  const caught = seeds.filter((s) => s.caught);
  return {
    name, weakness, description, patch, seeds, caught: caught.length,
    medianWallToDetectMs: median(caught.map((s) => s.wallToDetectMs!)),
    medianRunsToDetect: median(caught.map((s) => s.runsToDetect!)),
  };
}

export function mutantsBench(): Benchmark {
  return {
    name: 'mutants',
    summary: 'realistic mistakes written into copies of the reference system (harness/bench/mutants/): does the default `chaos --sim` suite catch each, with each seed',
    async run(ctx: MutantBenchContext): Promise<BenchOutput> {
      const all = listMutants();
      const mutants = ctx.mutants ? all.filter((m) => ctx.mutants!.includes(m.name)) : all;
      const seeds = ctx.seeds ?? Array.from({ length: ctx.quick ? 1 : 5 }, (_, i) => ctx.seed + i);
      // a guided and an unguided bench may run side by side: each has its own copies
      const cache = path.join(MUTANTS_CACHE, ctx.unguided ? 'unguided' : 'guided');
      const reportDir = path.join(cache, 'reports');
      rmSync(reportDir, { recursive: true, force: true });
      // every patch is applied before the first suite runs: a stale patch fails in a second, not minutes in
      const embeds = new Map<string, string>([[CONTROL, materialize(CONTROL, cache)], ...mutants.map((m) => [m.name, materialize(m, cache)] as const)]);
      const results: SystemResult[] = [];
      const systems: (Mutant | typeof CONTROL)[] = [CONTROL, ...mutants];
      for (const system of systems) {
        const name = system === CONTROL ? CONTROL : system.name;
        const rows: SeedResult[] = [];
        for (const seed of seeds) {
          const r = await runSuite(embeds.get(name)!, seed, reportDir, system !== CONTROL, ctx.unguided);
          rows.push(r);
          ctx.log(`[mutants] ${name} seed ${seed}: ${cell(r)}${r.caught ? `, after ${r.runsToDetect} runs, ${secs(r.wallToDetectMs!)}` : ''} (exit ${r.exitCode}, ${secs(r.totalMs)})${r.error ? `: ${r.error}` : ''}`);
        }
        results.push(system === CONTROL
          ? summarize(CONTROL, 'control: the correct system through the same copy-and-embed path', 'system-under-test/ copied unchanged', null, rows)
          : summarize(name, system.weakness, system.description, path.relative(PROJECT_ROOT, system.patchFile), rows));
      }

      const control = results[0]!;
      const controlPassed = control.seeds.every((s) => s.exitCode === 0 && !s.caught && !s.error && s.unknown.length === 0 && s.vacuous.length === 0);
      const table = new Table({
        head: ['system', ...seeds.map((s) => `seed ${s}`), 'caught', 'median time to detect', 'median runs to detect'],
        style: { head: [], border: [] },
        wordWrap: true,
        colWidths: [28, ...seeds.map(() => 22), 8, 12, 12],
      });
      for (const r of results) {
        table.push([r.name, ...r.seeds.map(cell), `${r.caught}/${r.seeds.length}`, secs(r.medianWallToDetectMs), Number.isFinite(r.medianRunsToDetect) ? String(r.medianRunsToDetect) : '-']);
      }
      const escaped = results.slice(1).filter((r) => r.caught * 2 < r.seeds.length);
      return {
        data: { seeds, guided: !ctx.unguided, controlPassed, systems: results },
        text: [
          table.toString(),
          'caught: a checker found a violation (FAIL) in some scenario; the cell names the first failing scenario and its checkers. no: no violation; unknown: checkers could not decide (the gate fails, but nothing is shrunk or reported as a violation); vacuous: a coverage goal never met.',
          'time to detect: wall time from the start of the suite to the end of the first failing run (one child process per seed; a mutant\'s suite is stopped there: it has caught the mistake); runs: every run of the suite up to that one, shrinking runs not counted.',
          ...results.slice(1).map((r) => `${r.name}: ${r.weakness}`),
          controlPassed ? `control (${CONTROL}, unchanged copy): passed every seed` : `CONTROL DID NOT PASS every seed: the figures above mean nothing until it does`,
          `missed with most seeds: ${escaped.map((r) => r.name).join(', ') || 'none'}`,
        ],
        goals: [{ name: 'the control (an unchanged copy) passes every seed', goal: 'pass', figure: controlPassed ? 'pass' : 'FAIL', met: controlPassed }],
      };
    },
  };
}
