// The sharding examples are valid and say what they mean: the GitHub Actions workflow against
// the workflow schema (@action-validator/core), the Kubernetes manifests against the API's own
// schemas (kubernetes-models; they check types and required fields, not unknown ones), and both
// run shards 1..N of one seed and merge them. The shell lines the pods run are run here with a
// stand-in `npm` that prints its arguments.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';

const tmp = mkdtempSync(path.join(tmpdir(), 'shard-examples-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs a pod's shell line with `npm` replaced by a script printing its arguments, one a line. */
function runShell(script: string, env: Record<string, string>): string[] {
  const bin = path.join(tmp, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, 'npm'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
  chmodSync(path.join(bin, 'npm'), 0o755);
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n');
}

type Step = { run?: string; uses?: string; with?: Record<string, string>; if?: string };
type Workflow = { env: Record<string, string | number>; jobs: Record<string, { needs?: string; if?: string; strategy?: { matrix: { shard: number[] }; 'fail-fast': boolean }; steps: Step[] }> };

describe('.github/workflows/chaos.yml', () => {
  const text = readFileSync('.github/workflows/chaos.yml', 'utf8');
  const wf = parse(text) as Workflow;

  it('is a valid workflow', () => {
    expect(validateWorkflow(text).errors).toEqual([]);
  });

  it('the validator does reject a broken workflow (it is not a no-op)', () => {
    expect(validateWorkflow(text.replace('runs-on: ubuntu-latest', 'runs_on: ubuntu-latest')).errors.length).toBeGreaterThan(0);
  });

  it('runs shards 1..N of one seed and merges every one of them', () => {
    const shards = wf.jobs.chaos.strategy!.matrix.shard;
    expect(shards).toEqual(Array.from({ length: Number(wf.env.SHARDS) }, (_, i) => i + 1));
    expect(wf.jobs.chaos.strategy!['fail-fast']).toBe(false);
    expect(wf.env.CHAOS_SEED).toBe('${{ github.run_number }}');
    const runs = wf.jobs.chaos.steps.map((s) => s.run ?? '');
    expect(runs.some((r) => r.startsWith('npm run chaos -- ') && r.includes('--seed "$CHAOS_SEED" --shard "${{ matrix.shard }}/$SHARDS" --report-dir shard/chaos'))).toBe(true);
    expect(runs.some((r) => r.startsWith('npm run chaos -- verify ') && r.includes('--shard "${{ matrix.shard }}/$SHARDS" --report-dir shard/verify'))).toBe(true);
    const upload = wf.jobs.chaos.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    expect(upload.if).toBe('always()');
    expect(upload.with).toMatchObject({ name: 'chaos-shard-${{ matrix.shard }}', path: 'shard/' });

    const merge = wf.jobs.merge;
    expect(merge.needs).toBe('chaos');
    expect(merge.if).toBe('always()');
    const download = merge.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!;
    expect(download.with).toMatchObject({ pattern: 'chaos-shard-*', path: 'shards' });
    const mergeRuns = merge.steps.map((s) => s.run ?? '');
    expect(mergeRuns).toContain('npm run chaos -- merge shards/chaos-shard-*/chaos --ci --baseline reports/baseline/summary.json --report-dir reports');
    expect(mergeRuns).toContain('npm run chaos -- merge shards/chaos-shard-*/verify --report-dir reports/verify');
  });
});

type Container = { command: string[]; args: string[]; env: { name: string; value: string }[] };
const envOf = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e.value]));

describe('deploy/k8s/chaos-soak-job.yaml', () => {
  const docs = parseAllDocuments(readFileSync('deploy/k8s/chaos-soak-job.yaml', 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as { apiVersion: string; kind: string; metadata: { name: string } };
  });
  const byName = (name: string) => docs.find((d) => d.metadata.name === name)!;

  it('holds a volume claim and two Jobs, each valid against the Kubernetes API schema', () => {
    expect(docs.map((d) => `${d.apiVersion} ${d.kind} ${d.metadata.name}`)).toEqual([
      'v1 PersistentVolumeClaim chaos-reports', 'batch/v1 Job chaos-soak', 'batch/v1 Job chaos-soak-merge',
    ]);
    for (const d of docs) {
      const model = d.kind === 'Job' ? new Job(d as never) : new PersistentVolumeClaim(d as never);
      expect(() => model.validate()).not.toThrow();
    }
    // and the schema check is not a no-op
    const bad = structuredClone(byName('chaos-soak')) as unknown as { spec: { completions: unknown } };
    bad.spec.completions = 'four';
    expect(() => new Job(bad as never).validate()).toThrow(/completions/);
  });

  it('is an Indexed Job of N completions whose pod K runs --shard K/N of one seed into its own report directory', () => {
    const job = byName('chaos-soak') as unknown as { spec: { completionMode: string; completions: number; parallelism: number; template: { spec: { containers: Container[]; volumes: { persistentVolumeClaim: { claimName: string } }[] } } } };
    expect(job.spec.completionMode).toBe('Indexed');
    const container = job.spec.template.spec.containers[0];
    const env = envOf(container);
    expect(Number(env.SHARDS)).toBe(job.spec.completions);
    expect(job.spec.parallelism).toBe(job.spec.completions);
    expect(job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe('chaos-reports');
    for (let index = 0; index < job.spec.completions; index++) {
      const argv = runShell(container.args[0], { ...env, JOB_COMPLETION_INDEX: String(index) });
      expect(argv).toEqual(['run', 'chaos', '--', '--ci', '--runs', env.RUNS, '--seed', env.CHAOS_SEED, '--shard', `${index + 1}/${env.SHARDS}`, '--report-dir', `/reports/shard-${index + 1}`]);
    }
  });

  it('the merge Job waits for every shard\'s report and merges all N', () => {
    const job = byName('chaos-soak-merge') as unknown as { spec: { template: { spec: { containers: Container[] } } } };
    const container = job.spec.template.spec.containers[0];
    const env = envOf(container);
    expect(env.SHARDS).toBe(envOf((byName('chaos-soak') as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[0]).SHARDS);
    const reports = path.join(tmp, 'reports');
    for (let k = 1; k <= Number(env.SHARDS); k++) {
      mkdirSync(path.join(reports, `shard-${k}`, 'latest'), { recursive: true });
      writeFileSync(path.join(reports, `shard-${k}`, 'latest', 'results.json'), '{}');
    }
    const argv = runShell(container.args[0], { ...env, REPORTS: reports, WAIT_SECONDS: '5' });
    expect(argv).toEqual(['run', 'chaos', '--', 'merge', ...Array.from({ length: Number(env.SHARDS) }, (_, i) => path.join(reports, `shard-${i + 1}`)), '--ci', '--report-dir', path.join(reports, 'merged')]);
  });
});
