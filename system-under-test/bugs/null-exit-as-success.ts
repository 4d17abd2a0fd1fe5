// Planted bug `null-exit-as-success`: the executor reads a payload's end as `code ?? 0`, the
// everyday JavaScript slip. A payload killed by a signal has no exit code (null), so a payload
// the executor killed at its timeout is reported `completed`, exit code 0, with whatever it had
// printed. Cancellation is still reported as such.

import type { ClassifyExit } from '../executor.ts';

export const nullExitAsSuccess: ClassifyExit = ({ killedFor, code, output, durationMs }) => {
  if (killedFor === 'cancelled') return { state: 'cancelled', reason: 'cancelled', exitCode: null, output, durationMs };
  const exitCode = code ?? 0;
  if (exitCode === 0) return { state: 'completed', exitCode: 0, output, durationMs };
  return { state: 'failed', reason: 'exit', exitCode, output, durationMs };
};
