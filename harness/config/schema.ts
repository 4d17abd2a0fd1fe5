// chaos.config.{ts,mts,js,mjs}: what a config file may set, validated with zod. Every key is a
// run option of `npm run chaos` (harness/config/options.ts) and is parsed by the same function as
// its flag, so a value means the same in the file and on the command line.
import { z } from 'zod';
import {
  collectRedisConfig, parseBugs, parseDuration, parseDurationRange, parseEnv, parseScenarios, parseSystem,
  type FileOptions,
} from './options.ts';

/** A value through one of the flag parsers: its message (without the flag's name) becomes the issue. */
function viaFlag<I, O>(parse: (value: I) => O) {
  return (value: I, ctx: z.RefinementCtx): O => {
    try {
      return parse(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^--[a-z0-9-]+ (?=\S)/, '') });
      return z.NEVER;
    }
  };
}

const got = (input: unknown) => (typeof input === 'string' ? `"${input}"` : JSON.stringify(input) ?? String(input));

/** An integer from min to max, as the flag takes it (intIn), written as a number. */
function int(min: number, max: number) {
  const error = (iss: { input?: unknown }) => `must be an integer from ${min} to ${max}, got ${got(iss.input)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

const bool = z.boolean({ error: (iss) => `must be true or false, got ${got(iss.input)}` });
const text = (what: string) => z.string({ error: (iss) => `must be ${what}, got ${got(iss.input)}` }).min(1, { error: `must be ${what}, got ""` });
const names = (what: string) => z.array(text(what), { error: (iss) => `must be a list of ${what}s, got ${got(iss.input)}` });

/** a duration as --budget takes it ("90s", "5m", "1500ms") or a number of milliseconds */
const budget = z.union([z.string(), z.number()], { error: (iss) => `must be a duration like "90s" or a number of milliseconds, got ${got(iss.input)}` })
  .transform(viaFlag((v: string | number) => (typeof v === 'number' ? parseDuration(`${v}ms`) : parseDuration(v))));

export const configSchema = z.strictObject({
  /** scenario names (default: every scenario that applies to the system) */
  scenarios: names('scenario name').min(1, { error: 'names no scenario' }).transform(viaFlag((v: string[]) => parseScenarios(v.join(',')))).optional(),
  /** runs per scenario (default: each scenario's own) */
  runs: int(1, 100000).optional(),
  /** the fast-check seed (default: a fresh one, printed) */
  seed: int(-2147483648, 2147483647).optional(),
  /** wall-time budget for the whole suite: "90s", "5m", or milliseconds */
  budget: budget.optional(),
  /** each scenario runs its soak number of runs */
  soak: bool.optional(),
  /** deterministic simulation (the reference system on a virtual clock) */
  sim: bool.optional(),
  /** with sim: a guided search (default true) */
  guidance: bool.optional(),
  /** every fault step's duration drawn from this range, e.g. "5s-15s" */
  faultDuration: text('a duration range like "5s-15s"').transform(viaFlag(parseDurationRange)).optional(),
  /** local processes (default) or docker containers */
  env: z.string({ error: (iss) => `must be local or docker, got ${got(iss.input)}` }).transform(viaFlag(parseEnv)).optional(),
  /** the system under test (default reference) */
  system: z.string({ error: (iss) => `must be a system name, got ${got(iss.input)}` }).transform(viaFlag(parseSystem)).optional(),
  /** redis-server settings after the scenario's own, like "appendonly=no" */
  redisConfig: names('name=value setting').transform(viaFlag((v: string[]) => v.reduce<string[]>((all, c) => collectRedisConfig(c, all), []))).optional(),
  workers: int(1, 16).optional(),
  keepers: int(1, 2).optional(),
  /** jobs each worker process runs at once (the library systems) */
  concurrency: int(1, 64).optional(),
  /** planted bugs to switch on in the reference system */
  bugs: names('bug name').transform(viaFlag((v: string[]) => parseBugs(v.join(',')))).optional(),
  /** exit 0 even when a checker could not decide */
  allowUnknown: bool.optional(),
  /** where reports/<run-id>/ is written (default "reports") */
  reportDir: text('a directory').optional(),
  /** a previous summary.json to compare with */
  baseline: text('a file').optional(),
  /** with baseline: fail when a scenario's p99 job latency grew by more than this many % */
  p99Tolerance: int(0, 100000).optional(),
}, { error: (iss) => (iss.code === 'unrecognized_keys' ? undefined : `the default export must be an object of options (export default defineConfig({ ... })), got ${got(iss.input)}`) })
  .transform((c): FileOptions => {
    const { scenarios, ...rest } = c;
    const out: FileOptions = { ...rest, ...(scenarios ? { scenario: scenarios } : {}) };
    for (const k of Object.keys(out) as (keyof FileOptions)[]) if (out[k] === undefined) delete out[k];
    return out;
  });

/** What a config file's default export is: the run options of `npm run chaos`, every one optional. */
export type ChaosConfig = Omit<z.input<typeof configSchema>, 'system' | 'env'> & {
  system?: string;
  env?: 'local' | 'docker';
};

/** The keys a config file may set. */
export const CONFIG_KEYS = Object.keys(configSchema.in.shape);

/** The first issue of a failed parse as one line: "runs: must be an integer from 1 to 100000, got 0". */
export function issueLine(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'is not a valid config';
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    return `${[...issue.path, key].join('.')}: not an option (known: ${CONFIG_KEYS.join(', ')})`;
  }
  const where = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
  return where ? `${where}: ${issue.message}` : issue.message;
}

/** A config file's default export, validated and parsed, or the one line that says what is wrong. */
export function parseConfig(value: unknown): { ok: true; options: FileOptions } | { ok: false; message: string } {
  const r = configSchema.safeParse(value);
  return r.success ? { ok: true, options: r.data } : { ok: false, message: issueLine(r.error) };
}
