// The built-in fault kinds, one module each (the seven toxics from one table, toxics.ts), all of
// the interface a config's own kinds have (FaultKindModule, ../kind.ts). Every place that needs
// to know a kind (the Fault union, what a step targets and holds, inject and heal, the search's
// arbitraries, how long a message may be held, the checkers' family, the report's colour) reads
// it from here: a new built-in is one module and one line below.
import { customKind, type FaultKindModule } from '../kind.ts';
import type { Fault } from '../types.ts';
import { crashPoint, type CrashPointFault } from './crashPoint.ts';
import { down, type DownFault } from './down.ts';
import { kill, type KillFault } from './kill.ts';
import { killExecutor, type KillExecutorFault } from './killExecutor.ts';
import { lostReply, type LostReplyFault } from './lostReply.ts';
import { pause, type PauseFault } from './pause.ts';
import { poisonJob, type PoisonJobFault } from './poisonJob.ts';
import { redisRestart, type RedisRestartFault } from './redisRestart.ts';
import { redisWipe, type RedisWipeFault } from './redisWipe.ts';
import { restart, type RestartFault } from './restart.ts';
import type { BuiltinKindModule } from './shared.ts';
import { bandwidth, latency, limitData, resetPeer, slicer, slowClose, timeout, type ToxicFault } from './toxics.ts';

/** A fault of a built-in kind, as the union of the modules' fault types. */
export type BuiltinFault = ToxicFault | DownFault | KillFault | KillExecutorFault | PauseFault | RestartFault | RedisRestartFault | RedisWipeFault | CrashPointFault | LostReplyFault | PoisonJobFault;

/** The built-in kinds. */
export const BUILTIN_FAULT_KINDS: readonly BuiltinKindModule<BuiltinFault>[] = [
  latency, bandwidth, slowClose, timeout, resetPeer, slicer, limitData,
  down, kill, killExecutor, pause, restart, redisRestart, redisWipe, crashPoint, lostReply, poisonJob,
];

const builtins = new Map<string, FaultKindModule<Fault>>(BUILTIN_FAULT_KINDS.map((k) => [k.kind, k]));

/** The module of a kind, built-in or a config's own; undefined when none is known. */
export function findFaultKind(kind: string): FaultKindModule<Fault> | undefined {
  return builtins.get(kind) ?? (customKind(kind) as FaultKindModule<Fault> | undefined);
}

/** The module of a fault's kind; an error that names the kind when there is none. */
export function kindOf(fault: Fault): FaultKindModule<Fault> {
  const k = findFaultKind(fault.kind);
  if (k) return k;
  throw new Error(fault.kind.includes(':') ? `no fault kind "${fault.kind}" (add it to the config's faultKinds)` : `no fault kind "${fault.kind}" (the built-ins: ${[...builtins.keys()].join(', ')})`);
}

/** What the history records a fault as (a fired crash point: the kill, pause or executor kill it did). */
export function effectiveFault(fault: Fault): Fault {
  return findFaultKind(fault.kind)?.recordedAs?.(fault).fault ?? fault;
}

/** The longest a fault may hold one message of `messageBytes` on its link (0 when it cuts or holds no link). */
export function maxDelayMs(fault: Fault, messageBytes: number): number {
  return findFaultKind(fault.kind)?.maxDelayMs?.(fault, messageBytes) ?? 0;
}

export { crashPoint, down, kill, killExecutor, lostReply, pause, poisonJob, redisRestart, redisWipe, restart, bandwidth, latency, limitData, resetPeer, slicer, slowClose, timeout };
export type { BuiltinKindModule } from './shared.ts';
export type { CrashAction, CrashThen } from './crashPoint.ts';
export { TRIGGER_COMMANDS } from './crashPoint.ts';
