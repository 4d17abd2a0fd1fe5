// The example job system on node-resque (examples/node-resque/), run live through its own config:
// the harness starts its front door and workers from their process contracts and judges them from
// the kit's evidence. It passes what it is correct for, and the finding its README documents (a
// crashed worker's job comes back from node-resque's stuck-worker retry with its arguments changed)
// shows up on its replay with the checker that caught it, and for the reason found.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const CONFIG = 'examples/node-resque/chaos.config.ts';

interface Verdict {
  checker: string;
  valid: boolean | 'unknown';
  evidence: { message: string; jobId?: string; entries?: { kind: string; type?: string; f?: string; value?: { jobs: { payload: { output: unknown } }[] } }[] }[];
}
interface RunRecord {
  valid: boolean | 'unknown';
  stats: { reclaimedJobs: number; duplicateExecutions: number };
  verdicts: Verdict[];
  history?: { kind: string; decision?: string; jobId?: string; to?: string; attempt?: number }[];
  logs?: Record<string, string>;
}
interface ScenarioResult {
  scenario: string;
  verdict: string;
  records: RunRecord[];
}

function chaos(args: string[]): { status: number | null; stderr: string; stdout: string; scenarios: ScenarioResult[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'chaos-node-resque-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', '--config', CONFIG, ...args, '--ci', '--report-dir', dir], { encoding: 'utf8', timeout: 400_000 });
  const results = JSON.parse(readFileSync(path.join(realpathSync(path.join(dir, 'latest')), 'results.json'), 'utf8')) as { result: { scenarios: ScenarioResult[] } };
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, scenarios: results.result.scenarios };
}

describe('the example job system on node-resque, through its own config', () => {
  it('passes the scenarios it is correct for, judged from the kit\'s evidence', () => {
    const r = chaos(['--scenario', 'latency,front-door', '--runs', '2', '--seed', '11']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/chaos: system node-resque, seed 11/);
    expect(r.scenarios.map((s) => [s.scenario, s.verdict])).toEqual([['latency', 'pass'], ['front-door', 'pass']]);
    // the judge read the kit's logs: payload starts and applied state changes are in the histories
    const entries = r.scenarios.flatMap((s) => s.records.flatMap((rec) => rec.history ?? []));
    expect(entries.filter((e) => e.kind === 'execution').length).toBeGreaterThan(0);
    expect(entries.filter((e) => e.kind === 'transition' && e.decision === 'applied').length).toBeGreaterThan(0);
  }, 420_000);

  it('replays its finding: a crashed worker\'s job, put back by the stuck-worker retry, runs with its empty output list turned into an object', () => {
    // the replay line the default suite printed (README.md, finding 1)
    const r = chaos(['--system', 'node-resque', '--scenario', 'worker-crash', '--seed', '11', '--path', '3']);
    expect(r.status, r.stderr).toBe(1);
    const [crash] = r.scenarios;
    expect(crash).toMatchObject({ scenario: 'worker-crash', verdict: 'fail' });
    const failing = crash!.records.find((rec) => rec.valid === false)!;
    expect(failing).toBeDefined();
    // caught by payloadOutcome: a job whose payload exits 0 ended failed (timeout), with no fault to explain it
    const outcome = failing.verdicts.find((v) => v.checker === 'payloadOutcome')!;
    expect(outcome.valid).toBe(false);
    expect(outcome.evidence.map((e) => e.message).join('\n')).toMatch(/should end completed \(exit 0\) but ended failed \(timeout\)/);
    // the job was put back after the crash (a second start), and its payload prints nothing: output []
    expect(failing.stats.reclaimedJobs).toBeGreaterThan(0);
    const evidence = outcome.evidence[0]!;
    const index = Number(evidence.jobId!.slice(evidence.jobId!.lastIndexOf('-') + 1));
    const submit = evidence.entries!.find((e) => e.kind === 'client' && e.type === 'invoke' && e.f === 'submit')!;
    expect(submit.value!.jobs[index]!.payload.output).toEqual([]);
    // the reason, in the workers' own logs: the scheduler failed the dead worker's job and retried it,
    // and the retried copy's output was no longer a list (Lua cjson encodes [] as {})
    const logs = Object.values(failing.logs ?? {}).join('\n');
    expect(logs).toMatch(/scheduler failed stuck worker \S+ \(no ping for \d+ s\), its job: /);
    expect(logs).toMatch(/p\.output\.map is not a function/);
  }, 420_000);
});
