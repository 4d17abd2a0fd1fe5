// `npm run chaos -- verify`: every planted bug must be caught by its scenarios, and the correct
// system must pass the same scenarios. Exit 0 when both hold, 1 naming each escaped bug.
import Table from 'cli-table3';
import { Command } from 'commander';
import { PLANTED_BUGS } from '../../scenarios/planted-bugs.ts';
import { oneLine } from '../text/oneLine.ts';
import { writeReport, type VerifyRow as ReportVerifyRow } from '../report/index.ts';
import { shardResults } from '../report/merge.ts';
import { verify, verifyWork, type VerifyResult, type VerifyRow } from '../runner/verify.ts';
import { intIn, parseCommand, replayCommand, UsageError, type LoadedConfig } from '../config/options.ts';
import { shardItems, shardLabel, type Shard } from '../config/shard.ts';
import { groups, overFile, runOption, withOptions } from './options.ts';

export interface VerifyCliOptions {
  seed: number;
  bugs?: string[];
  runs?: number;
  budgetPerBugMs?: number;
  controlRuns?: number;
  /** --sim: in deterministic simulation */
  sim: boolean;
  /** --env local|docker */
  env: 'local' | 'docker';
  json: boolean;
  reportDir: string;
  /** --shard K/N: this shard's planted bugs and control scenarios (round-robin, like chaos) */
  shard?: Shard;
}

/** --bugs: planted bugs by name (the run's --bugs checks only their spelling). */
function plantedBugs(names: string[]): string[] {
  for (const n of names) {
    if (!PLANTED_BUGS.some((b) => b.name === n)) throw new UsageError(`unknown bug "${n}" (known: ${PLANTED_BUGS.map((b) => b.name).join(', ')})`);
  }
  return names;
}

/** `chaos verify`'s options: its own (--bugs, --runs, --budget, --control-runs) and the shared groups. */
export function verifyCommand(): Command {
  const cmd = new Command('verify')
    .description('prove the harness catches every planted bug and passes the correct system')
    .addOption(runOption('--bugs', { help: 'only these planted bugs' }))
    .addOption(runOption('--runs', { help: 'runs per scenario per bug (default: each bug\'s own)' }))
    .addOption(runOption('--budget', { help: 'time budget per bug, e.g. 60s' }))
    .option('--control-runs <n>', 'runs per scenario on the correct system (default: each scenario\'s own)', intIn('--control-runs', 1, 10000));
  return withOptions(cmd,
    groups.system('the system under test: only the reference system has planted bugs'),
    groups.seed('fast-check seed (32-bit integer); printed'),
    groups.shard('run shard K of N (needs --seed): a disjoint part of the planted bugs and control scenarios; merge with `chaos merge`'),
    groups.sim('in deterministic simulation (see chaos --sim)'), groups.env(),
    groups.report({ json: 'print the result as JSON on stdout', ci: 'plain lines (verify always prints plain lines)' }),
    groups.config('the config file (default: the first chaos.config.* in the working directory); verify reads its seed, sim, env and reportDir; the command line wins'));
}

/** What verify reads from a config file: its system is the run's, and only the reference system has planted bugs. */
export const VERIFY_FILE_KEYS = ['seed', 'sim', 'env', 'reportDir'] as const;

/** verify's options from a parsed verifyCommand, over the config file's. */
export function verifyOptionsOf(cmd: Command, config?: LoadedConfig): VerifyCliOptions {
  const o = overFile<{ seed?: number; bugs?: string[]; runs?: number; budget?: number; controlRuns?: number; json?: boolean; reportDir: string; shard?: Shard; sim?: boolean; env: 'local' | 'docker'; system: string }>(cmd, config, VERIFY_FILE_KEYS);
  if (o.system !== 'reference') throw new UsageError(`verify proves that planted bugs are caught: only the reference system has them, ${o.system} has none (run \`npm run chaos -- --system ${o.system}\`)`, false);
  if (o.shard && o.seed === undefined) throw new UsageError('--shard needs --seed so every shard runs the same work');
  return {
    shard: o.shard,
    seed: o.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0,
    bugs: o.bugs !== undefined ? plantedBugs(o.bugs) : undefined,
    runs: o.runs,
    budgetPerBugMs: o.budget,
    controlRuns: o.controlRuns,
    sim: Boolean(o.sim),
    env: o.env,
    json: Boolean(o.json),
    reportDir: o.reportDir,
  };
}

/** argv (after `verify`) into verify's options, over a loaded config file's; 'help' when help was printed. */
export function parseVerifyOptions(argv: string[], config?: LoadedConfig): VerifyCliOptions | 'help' {
  const cmd = verifyCommand();
  if (parseCommand(cmd, argv) === 'help') return 'help';
  return verifyOptionsOf(cmd, config);
}

export function verifyReplay(row: VerifyRow): string {
  if (!row.caughtBy || !row.path) return '';
  const bug = PLANTED_BUGS.find((b) => b.name === row.bug);
  return replayCommand({ bugs: [row.bug], keepers: bug?.keepers, sim: row.sim, env: row.env }, row.caughtBy, row.seed, row.path);
}

export function printVerify(result: VerifyResult, log: (s: string) => void): void {
  const table = new Table({ head: ['bug', 'caught by', 'checker', 'runs', 'time to detect', 'shrunk steps', 'replay'], style: { head: [], border: [] } });
  for (const r of result.rows) {
    table.push([
      r.bug, r.caughtBy ?? 'ESCAPED', r.checkers.join(', ') || '-', r.runsToDetect ?? '-',
      r.timeToDetectMs !== null ? `${(r.timeToDetectMs / 1000).toFixed(1)}s` : '-', r.scheduleSize ?? '-', verifyReplay(r) || '-',
    ]);
  }
  log(table.toString());
  const control = result.control.scenarios.map((s) => `${s.scenario} ${s.verdict}`).join(', ');
  log(`correct system: ${control}`);
  const escaped = result.rows.filter((r) => !r.caught).map((r) => r.bug);
  const wrongChecker = result.rows.filter((r) => r.caught && !r.expectedChecker).map((r) => r.bug);
  if (escaped.length) log(`escaped: ${escaped.join(', ')}`);
  if (wrongChecker.length) log(`caught by an unexpected checker: ${wrongChecker.join(', ')}`);
  log(result.ok ? 'verify: every planted bug caught, correct system passes' : 'verify: FAILED');
}

/** The report's planted-bug table rows. */
export function reportRows(rows: readonly VerifyRow[]): ReportVerifyRow[] {
  return rows.map((r) => ({
    bug: r.bug, caughtBy: r.caughtBy, checker: r.checkers.join(', ') || null, runs: r.runsToDetect ?? 0,
    timeToDetectMs: r.timeToDetectMs, scheduleSize: r.scheduleSize, replay: verifyReplay(r) || null,
  }));
}

export async function runVerify(o: VerifyCliOptions, log: (s: string) => void): Promise<number> {
  log(`verify: seed ${o.seed}${o.shard ? `, shard ${shardLabel(o.shard)}` : ''}`);
  const shard = o.shard;
  const result = await verify({
    seed: o.seed, bugs: o.bugs, runs: o.runs, budgetPerBugMs: o.budgetPerBugMs, controlRuns: o.controlRuns, sim: o.sim, env: o.env, onProgress: log,
    ...(shard ? { runBugs: (b) => shardItems(b, shard), runControl: (c) => shardItems(c, shard) } : {}),
  });
  if (o.json) process.stdout.write(JSON.stringify({ ok: result.ok, seed: o.seed, rows: result.rows.map((r) => ({ ...r, replay: verifyReplay(r) })) }, null, 2) + '\n');
  printVerify(result, log);
  // the report's headline is the correct system's verdict; the planted-bug table shows the teeth
  const rows = reportRows(result.rows);
  try {
    const work = verifyWork(o.bugs);
    const sharded = shard ? {
      shard: { ...shard, scenarios: work.control.map((s) => s.name) },
      shardResults: shardResults('verify', shard, {
        seed: o.seed, bugs: work.bugs.map((b) => b.name), scenarios: work.control.map((s) => s.name),
        runs: o.runs, budgetMs: o.budgetPerBugMs, controlRuns: o.controlRuns,
      }, result.control, { verify: result.rows, ok: result.ok }),
    } : {};
    const files = await writeReport(result.control, { dir: o.reportDir, bugs: [], verify: rows, ...sharded });
    log(`report: ${files.dir}/index.html`);
  } catch (err) {
    log(`report: could not be written: ${oneLine(err)}`);
  }
  return result.ok ? 0 : 1;
}
