// chaos.config.{ts,mts,js,mjs}: what a config file may set, validated with zod. Every key is a
// run option of `npm run chaos` (harness/config/options.ts) and is parsed by the same function as
// its flag, so a value means the same in the file and on the command line.
import { z } from 'zod';
import {
  collectRedisConfig, parseBugs, parseDuration, parseDurationRange, parseEnv, parseScenarios,
  type FileOptions,
} from './options.ts';
import type { Scenario } from '../runner/scenario.ts';
import type { SystemModule } from '../systems/types.ts';
import type { CheckerDef } from '../checkers/index.ts';
import type { FaultKindModule } from '../nemesis/kind.ts';

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

/** a module path as a config names one: relative ("./faults/skew.ts") or absolute, of a .ts/.mts/.js/.mjs file */
export const isModulePath = (s: string): boolean => /^\.{0,2}\//.test(s) || /\.(m?ts|m?js)$/.test(s);

/** A module named by path in the config, loaded when the registry is built (harness/registry/build.ts), relative to the config's folder. */
export interface ModuleRef {
  path: string;
}

/** a value of one of the registries' lists: a module path, or the object itself (checked when the registry is built) */
const entry = (what: string) => z.union([
  text(`a module path or ${what}`).transform((path): ModuleRef => ({ path })),
  z.looseObject({}, { error: (iss) => `must be a module path or ${what}, got ${got(iss.input)}` }),
], { error: (iss) => `must be a module path or ${what}, got ${got(iss.input)}` });
const entries = (what: string) => z.array(entry(`a ${what}`), { error: (iss) => `must be a list of module paths or ${what}s, got ${got(iss.input)}` });

/** a scenario of the selection: a built-in's name, a module path, or a scenario */
const scenarioEntry = z.unknown().transform((v, ctx): Scenario | ModuleRef => {
  if (typeof v === 'string') return isModulePath(v) ? { path: v } : viaFlag((name: string) => parseScenarios(name)[0]!)(v, ctx);
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Scenario;
  ctx.addIssue({ code: 'custom', message: `must be a scenario's name, a module path or a scenario, got ${got(v)}` });
  return z.NEVER;
});

export const configSchema = z.strictObject({
  /** the scenarios to run: built-ins by name, your own by module path or as objects (default: every scenario that applies to the system) */
  scenarios: z.array(scenarioEntry, { error: (iss) => `must be a list of scenario names, got ${got(iss.input)}` }).min(1, { error: 'names no scenario' }).optional(),
  /** systems of your own, besides the built-ins: module paths (default export a SystemModule) or modules */
  systems: entries('system module').optional(),
  /** checkers of your own, run besides the built-ins: module paths (default export { name, check, needs? }) or objects */
  checkers: entries('checker').optional(),
  /** fault kinds of your own (`<namespace>:<name>`): module paths (default export a FaultKindModule) or objects */
  faultKinds: entries('fault kind').optional(),
  /** the reporters (default: the built-ins): a built-in's name, a module path, or a reporter object */
  reporters: z.array(z.union([text('a reporter name or module path'), z.looseObject({})]), { error: (iss) => `must be a list of reporter names, module paths or reporters, got ${got(iss.input)}` }).min(1, { error: 'names no reporter' }).optional(),
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
  system: text('a system name').optional(),
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
  .transform((c): ParsedConfig => {
    const { scenarios, systems, checkers, faultKinds, reporters, ...rest } = c;
    const options: FileOptions = { ...rest };
    for (const k of Object.keys(options) as (keyof FileOptions)[]) if (options[k] === undefined) delete options[k];
    const extend: Extensions = {
      ...(scenarios ? { scenarios } : {}), ...(systems ? { systems } : {}), ...(checkers ? { checkers } : {}),
      ...(faultKinds ? { faultKinds } : {}), ...(reporters ? { reporters } : {}),
    };
    return { options, extend };
  });

/** What a config adds to the registries and selects, before its modules are loaded (harness/registry/build.ts). */
export interface Extensions {
  scenarios?: (Scenario | ModuleRef)[];
  systems?: (ModuleRef | Record<string, unknown>)[];
  checkers?: (ModuleRef | Record<string, unknown>)[];
  faultKinds?: (ModuleRef | Record<string, unknown>)[];
  reporters?: (string | Record<string, unknown>)[];
}

export interface ParsedConfig {
  options: FileOptions;
  extend: Extensions;
}

/** What a config file's default export is: the run options of `npm run chaos`, every one optional. */
export type ChaosConfig = Omit<z.input<typeof configSchema>, 'system' | 'env' | 'scenarios' | 'systems' | 'checkers' | 'faultKinds' | 'reporters'> & {
  system?: string;
  env?: 'local' | 'docker';
  /** the scenarios to run: a built-in's name, a module path (default export a Scenario), or a Scenario */
  scenarios?: (string | Scenario)[];
  /** your systems: module paths (default export a SystemModule) or modules */
  systems?: (string | SystemModule)[];
  /** your checkers, run besides the built-ins: module paths (default export a CheckerDef) or CheckerDefs */
  checkers?: (string | CheckerDef)[];
  /** your fault kinds: module paths (default export a FaultKindModule) or modules */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a kind's own fault type
  faultKinds?: (string | FaultKindModule<any>)[];
  /** the reporters: built-in names ('progress', 'console', ...), module paths (default export a Reporter) or reporters */
  reporters?: (string | object)[];
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
export function parseConfig(value: unknown): ({ ok: true } & ParsedConfig) | { ok: false; message: string } {
  const r = configSchema.safeParse(value);
  return r.success ? { ok: true, ...r.data } : { ok: false, message: issueLine(r.error) };
}
