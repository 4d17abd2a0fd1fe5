// A config's own systems, scenarios, checkers and fault kinds, loaded and checked, added to the
// built-ins: the registry one run uses. Every failure is one line naming the file, the key and the entry.
import path from 'node:path';
import { z } from 'zod';
import { UsageError, type LoadedConfig } from '../config/options.ts';
import type { ModuleRef } from '../config/schema.ts';
import { importErrorLine, importModule } from '../config/load.ts';
import { registerFaultKinds, type FaultKindModule } from '../nemesis/kind.ts';
import type { Scenario } from '../runner/scenario.ts';
import { entryOf } from '../systems/index.ts';
import type { SystemModule } from '../systems/types.ts';
import type { CheckerDef } from '../checkers/index.ts';
import { BUILTINS, type Registry } from './index.ts';

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { error: 'must be a function' });
const name = z.string({ error: 'must be a name' }).regex(/^[a-z0-9][a-z0-9-]*$/i, { error: 'must be a name of letters, digits and dashes' });
const CAPABILITIES = ['keepers', 'executors', 'event-sources', 'consumer-names', 'cancels', 'concurrency', 'planted-bugs', 'simulation', 'containers'] as const;
const EVIDENCE = ['transition-log', 'running-set', 'task-status', 'executions-log', 'event-queue'] as const;

const systemShape = z.looseObject({
  name, label: z.string(), settings: z.string(),
  provides: z.object({ capabilities: z.array(z.enum(CAPABILITIES)), evidence: z.array(z.enum(EVIDENCE)) }),
  skip: z.record(z.string(), z.string()).optional(),
  shape: fn, processes: fn, readFinalState: fn, progress: fn, quiescent: fn, simulation: fn.optional(),
}).refine((s) => !s.provides.capabilities.includes('simulation') || s.simulation !== undefined, {
  error: "capability 'simulation' needs a `simulation` loader (harness/sim/embedding.ts)", path: ['simulation'],
});
const scenarioShape = z.looseObject({
  name, summary: z.string(), env: z.looseObject({}).optional(), workload: fn, schedule: fn,
  goals: z.array(z.looseObject({ name: z.string(), met: fn })), runs: z.number().int().min(1),
  needs: z.array(z.enum(CAPABILITIES)).optional(),
});
const checkerShape = z.looseObject({ name, check: fn, needs: z.array(z.enum(EVIDENCE)).optional() });
const faultKindShape = z.looseObject({
  kind: z.string().regex(/^[a-z0-9][a-z0-9-]*:[a-z0-9][a-z0-9-]*$/, { error: 'must be <namespace>:<name> in lower case, like acme:clock-skew' }), summary: z.string(), target: fn, inject: fn, heal: fn,
  resource: fn.optional(), family: z.enum(['link', 'process', 'redis']).optional(), effect: z.enum(['ends', 'freezes', 'cuts', 'stalls', 'delays', 'none']).optional(), arbitrary: fn.optional(), holdMs: fn.optional(), maxDelayMs: fn.optional(), colour: z.string().optional(), recordedAs: fn.optional(), simulationOnly: fn.optional(),
});

const WHAT = { systems: ['a system', systemShape], scenarios: ['a scenario', scenarioShape], checkers: ['a checker', checkerShape], faultKinds: ['a fault kind', faultKindShape] } as const;
type Key = keyof typeof WHAT;

const isRef = (v: unknown): v is ModuleRef => typeof v === 'object' && v !== null && Object.keys(v).length === 1 && typeof (v as ModuleRef).path === 'string';

/** An entry's value: the module's default export for a path (relative to the config's folder), the object itself otherwise; checked against its kind's shape. */
async function valueOf(key: Key, index: number, value: unknown, config: LoadedConfig): Promise<unknown> {
  const [what, shape] = WHAT[key];
  let where = `${config.file}: ${key}[${index}]`;
  if (isRef(value)) {
    where += ` (${value.path})`;
    const file = path.resolve(config.dir ?? process.cwd(), value.path);
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(file);
    } catch (err) {
      throw new UsageError(`${where}: could not be loaded: ${importErrorLine(err, file, value.path)}`, false);
    }
    if (!('default' in mod)) throw new UsageError(`${where}: has no default export (export default ${what.replace(/^an? /, '')})`, false);
    value = mod.default;
  }
  const r = shape.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UsageError(`${where}: is not ${what}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`, false);
  }
  return value;
}

async function valuesOf<T>(key: Key, list: readonly unknown[] | undefined, config: LoadedConfig): Promise<T[]> {
  const out: T[] = [];
  for (const [i, v] of (list ?? []).entries()) out.push((await valueOf(key, i, v, config)) as T);
  return out;
}

function noClash(config: LoadedConfig, key: string, names: readonly string[], known: readonly string[]): void {
  const seen = new Set(known);
  for (const n of names) {
    if (seen.has(n)) throw new UsageError(`${config.file}: ${key}: "${n}" is ${known.includes(n) ? 'a built-in name' : 'given twice'}: give yours a name of its own`, false);
    seen.add(n);
  }
}

/**
 * The registry a run uses: the built-ins and what the config adds (systems, scenarios it selects
 * by path or value, checkers, fault kinds), every module loaded and checked; the config with its
 * scenario selection resolved. Fault kinds are registered for the process (nemesis/kind.ts).
 */
export async function buildRegistry(config: LoadedConfig | undefined): Promise<{ registry: Registry; config?: LoadedConfig }> {
  const extend = config?.extend;
  if (!config || !extend) return { registry: BUILTINS, ...(config ? { config } : {}) };
  const systems = await valuesOf<SystemModule>('systems', extend.systems, config);
  noClash(config, 'systems', systems.map((s) => s.name), BUILTINS.systems.map((s) => s.name));
  const selected: Scenario[] = [];
  const own: Scenario[] = [];
  for (const [i, s] of (extend.scenarios ?? []).entries()) {
    // a built-in (by name in the schema) is kept as it is; a path or an object of your own is loaded and checked
    if (BUILTINS.scenarios.includes(s as Scenario)) selected.push(s as Scenario);
    else {
      const scenario = (await valueOf('scenarios', i, s, config)) as Scenario;
      if (!own.includes(scenario)) own.push(scenario);
      selected.push(scenario);
    }
  }
  noClash(config, 'scenarios', own.map((s) => s.name), BUILTINS.scenarios.map((s) => s.name));
  const checkers = await valuesOf<CheckerDef>('checkers', extend.checkers, config);
  noClash(config, 'checkers', checkers.map((c) => c.name), BUILTINS.checkers.map((c) => c.name));
  const kinds = await valuesOf<FaultKindModule>('faultKinds', extend.faultKinds, config);
  try {
    registerFaultKinds(kinds);
  } catch (err) {
    throw new UsageError(`${config.file}: faultKinds: ${(err as Error).message}`, false);
  }
  const registry: Registry = {
    systems: [...BUILTINS.systems, ...systems.map(entryOf)],
    scenarios: [...BUILTINS.scenarios, ...own],
    checkers: [...BUILTINS.checkers, ...checkers],
  };
  const system = config.options.system;
  if (system !== undefined && !registry.systems.some((s) => s.name === system)) {
    throw new UsageError(`${config.file}: system: must be one of ${registry.systems.map((s) => s.name).join(', ')}, got "${system}"`, false);
  }
  return { registry, config: { ...config, extend: { ...extend, ...(extend.scenarios ? { scenarios: selected } : {}) } } };
}
