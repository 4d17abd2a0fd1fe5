// Reading where Redis spends its time: INFO commandstats deltas, and MONITOR lines counted per
// command, split into round trips (commands a client sent) and commands run inside Lua scripts.

export interface CommandStat {
  calls: number;
  usec: number;
}

export type CommandStats = Map<string, CommandStat>;

/** Parses `INFO commandstats` ("cmdstat_xadd:calls=3,usec=40,usec_per_call=13.33,..."). */
export function parseCommandStats(info: string): CommandStats {
  const out: CommandStats = new Map();
  for (const line of info.split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):(.*)$/.exec(line.trim());
    if (!m) continue;
    const fields = Object.fromEntries(m[2].split(',').map((kv) => kv.split('=') as [string, string]));
    out.set(m[1].toLowerCase(), { calls: Number(fields.calls ?? 0), usec: Number(fields.usec ?? 0) });
  }
  return out;
}

/** after − before, per command; commands that did not run are left out. */
export function diffCommandStats(before: CommandStats, after: CommandStats): CommandStats {
  const out: CommandStats = new Map();
  for (const [cmd, a] of after) {
    const b = before.get(cmd) ?? { calls: 0, usec: 0 };
    const d = { calls: a.calls - b.calls, usec: a.usec - b.usec };
    if (d.calls > 0) out.set(cmd, d);
  }
  return out;
}

/** Commands counted from MONITOR: sent by a client (a round trip each) or run inside a script. */
export interface CommandCounts {
  topLevel: Map<string, number>;
  inLua: Map<string, number>;
}

export function emptyCounts(): CommandCounts {
  return { topLevel: new Map(), inLua: new Map() };
}

export function countCommand(counts: CommandCounts, command: string, fromLua: boolean): void {
  const m = fromLua ? counts.inLua : counts.topLevel;
  const k = command.toLowerCase();
  m.set(k, (m.get(k) ?? 0) + 1);
}

export const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

const SCRIPT_COMMANDS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/**
 * Server time of the commands clients sent, from a commandstats delta and MONITOR counts of the
 * same period. A script's usec already includes the commands it ran, which commandstats also
 * counts under their own names; so a non-script command contributes its usec in proportion to
 * the calls that were top-level (assumes a call inside a script costs what a top-level one does).
 * Commands in `exclude` (the bench's own) are left out.
 */
export function topLevelUsec(delta: CommandStats, counts: CommandCounts, exclude: ReadonlySet<string> = new Set()): { usec: number; byCommand: Map<string, number> } {
  const byCommand = new Map<string, number>();
  for (const [cmd, s] of delta) {
    if (exclude.has(cmd)) continue;
    const top = counts.topLevel.get(cmd) ?? 0;
    const lua = counts.inLua.get(cmd) ?? 0;
    let usec: number;
    if (SCRIPT_COMMANDS.has(cmd)) usec = s.usec;
    else if (top + lua === 0) usec = 0; // not seen from the system's connections (the bench's own, or idle)
    else usec = s.usec * (top / (top + lua));
    if (usec > 0) byCommand.set(cmd, usec);
  }
  return { usec: [...byCommand.values()].reduce((a, b) => a + b, 0), byCommand };
}

/** The n largest entries of a map, as "name n" strings. */
export function top(m: Map<string, number>, n: number, per = 1, digits = 1): string {
  return [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${k} ${(v / per).toFixed(digits)}`).join(', ');
}
