// What a system only publishes (pub/sub: bee-queue's events, Bull's job channels) is heard only
// while the harness listens. The listening must go on until the final snapshot has been read: a
// change published after it stopped is in the snapshot and not in the log, which the judge reads
// as a write the log does not record (a false terminalStable violation; the simulation met one
// with bee-queue: a job failed by a worker the moment the run settled).
import { describe, expect, it } from 'vitest';
import { HistoryRecorder } from '../../harness/history/recorder.ts';
import type { TransitionEntry } from '../../harness/history/types.ts';
import type { RunEnvironment } from '../../harness/env/surface.ts';
import { collectRun } from '../../harness/runner/run.ts';

const late: TransitionEntry = {
  kind: 'transition', t: 5, logId: '5-0', jobId: 'j-0', eventId: '5-0', type: 'failed', source: 'library', sourceId: '', attempt: 0,
  from: 'running', to: 'failed', decision: 'applied', reason: 'exit', keeper: '', exitCode: 2, output: '',
} as TransitionEntry;

function envReading(order: string[]): RunEnvironment {
  return {
    admin: {},
    system: {
      readFinalState: async () => {
        order.push('snapshot read');
        return { transitions: [], executions: [], snapshot: { kind: 'snapshot', t: 6, tasks: [] } };
      },
    },
  } as unknown as RunEnvironment;
}

describe('collectRun and what was heard', () => {
  it('stops the listening only once the final snapshot has been read, and adds what it heard until then', async () => {
    const order: string[] = [];
    const history = new HistoryRecorder();
    const { transitions } = await collectRun(envReading(order), history, async () => {
      order.push('listening stopped');
      return { transitions: [late], gaps: [{ from: 1, to: 2 }] };
    });
    expect(order).toEqual(['snapshot read', 'listening stopped']);
    expect(transitions).toEqual([late]);
    const snapshot = history.entries.find((e) => e.kind === 'snapshot');
    expect(snapshot).toMatchObject({ logGaps: [{ from: 1, to: 2 }] });
  });

  it('takes what was heard as a value too', async () => {
    const history = new HistoryRecorder();
    const { transitions } = await collectRun(envReading([]), history, { transitions: [late], gaps: [] });
    expect(transitions).toEqual([late]);
  });
});
