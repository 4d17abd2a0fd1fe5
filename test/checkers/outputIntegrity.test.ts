import { describe, expect, it } from 'vitest';
import { outputIntegrity } from '../../harness/checkers/outputIntegrity.ts';
import { HistoryBuilder, healthyRun, job, payload, task } from './build.ts';

function submitted(h: HistoryBuilder) {
  return h.submit({ t: 100, key: 'k-1', payloads: [payload(['first', 'line two']), payload(['second'])], taskId: 'T-1', jobIds: ['J-1', 'J-2'] });
}

describe('outputIntegrity', () => {
  it('accepts completed jobs whose output is each payload line followed by a newline', () => {
    const v = outputIntegrity(healthyRun().build());
    expect(v.valid).toBe(true);
    expect(v.stats?.unknownPayload).toBe(0);
    expect(v.stats?.viewsChecked).toBe(4);
  });

  it('reports a corrupted output in the snapshot, naming the job and the submit', () => {
    const h = new HistoryBuilder();
    const s = submitted(h);
    h.snapshot(500, [
      task('T-1', 'k-1', 'completed', [
        job('J-1', 'completed', { output: 'first\nline two\n' }),
        job('J-2', 'completed', { output: 'second' }), // newline lost
      ]),
    ]);
    const v = outputIntegrity(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-2', taskId: 'T-1', at: 500 });
    expect(v.evidence[0].message).toContain('output "second" but the payload prints "second\\n"');
    expect(v.evidence[0].entries?.slice(1)).toEqual([s.invoke, s.completion]);
  });

  it('matches job i to payload i: swapped outputs are caught', () => {
    const h = new HistoryBuilder();
    submitted(h);
    const r = h.read(task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'second\n' }), job('J-2', 'completed', { output: 'first\nline two\n' })]), 300);
    const v = outputIntegrity(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence.map((e) => e.jobId)).toEqual(['J-1', 'J-2']);
    expect(v.evidence[0].entries?.slice(0, 2)).toEqual([r.invoke, r.ok]);
  });

  it('reports an applied completed transition carrying the wrong output', () => {
    const h = new HistoryBuilder();
    submitted(h);
    const bad = h.transition('J-1', 'running', 'completed', { t: 200, output: 'first\n' });
    const v = outputIntegrity(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0]).toMatchObject({ jobId: 'J-1', at: 200 });
    expect(v.evidence[0].entries?.[0]).toBe(bad);
  });

  it('reports a job failed on exit with another exit code than its payload', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload([], 3)], taskId: 'T-1', jobIds: ['J-1'] });
    h.snapshot(500, [task('T-1', 'k-1', 'failed', [job('J-1', 'failed', { reason: 'exit', exitCode: 1 })])]);
    const v = outputIntegrity(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].message).toMatch(/job J-1 .*failed on exit code 1 but the payload exits with 3/);
  });

  it('reports a job completed although its payload exits non-zero', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload(['x'], 2)], taskId: 'T-1', jobIds: ['J-1'] });
    h.snapshot(500, [task('T-1', 'k-1', 'completed', [job('J-1', 'completed', { output: 'x\n' })])]);
    const v = outputIntegrity(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].message).toMatch(/completed but the payload exits with 2/);
  });

  it('checks a recovered task by the payloads its idempotency key was sent with', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-5', payloads: [payload(['p'])], outcome: 'info' });
    h.snapshot(500, [task('T-5', 'k-5', 'completed', [job('J-5', 'completed', { output: 'q\n' })])]);
    const v = outputIntegrity(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0].jobId).toBe('J-5');
  });

  it('accepts timeouts and cancellations, which carry no payload exit code', () => {
    const h = new HistoryBuilder();
    h.submit({ t: 100, key: 'k-1', payloads: [payload([], 3), payload(['a'])], taskId: 'T-1', jobIds: ['J-1', 'J-2'] });
    h.snapshot(500, [
      task('T-1', 'k-1', 'failed', [job('J-1', 'failed', { reason: 'timeout', exitCode: null }), job('J-2', 'cancelled', { reason: 'cancelled' })]),
    ]);
    expect(outputIntegrity(h.build()).valid).toBe(true);
  });

  it('reports an ok response listing another number of jobs than the submit sent', () => {
    const h = new HistoryBuilder();
    const s = h.submit({ t: 100, key: 'k-1', payloads: [payload(['a'])], taskId: 'T-1', jobIds: ['J-1', 'J-2'] });
    const v = outputIntegrity(h.build());
    expect(v.valid).toBe(false);
    expect(v.evidence[0]).toMatchObject({ taskId: 'T-1', entries: [s.invoke, s.completion] });
    expect(v.evidence[0].message).toMatch(/sent 1 job\(s\) but its ok at t=105ms lists 2 jobIds/);
  });
});
