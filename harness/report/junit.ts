// junit.xml for CI dashboards: one testsuite, one testcase per scenario. A vacuous, unknown or
// incomplete scenario is a failure too: a green mark must mean the property was exercised and
// decided. An unknown scenario (no violation found, but a checker could not decide in some run)
// is a <failure type="unknown">, not <skipped> or <error>: a dashboard must not count it as passed,
// and its message and body name the undecided checkers, their runs and their evidence. The
// file is the record, not the gate: --allow-unknown changes the exit code, not this.

import { createRequire } from 'node:module';
import type { Builder } from 'junit-report-builder';
import type { ReportSummary, ScenarioSummary } from './summary.ts';

// XML 1.0 cannot carry these even escaped; evidence quoting raw job output may contain them.
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const xmlSafe = (s: string) => s.replace(XML_INVALID, '\uFFFD');

// the package's CommonJS export is the builder itself, while its typings declare it as `default`
const junit = createRequire(import.meta.url)('junit-report-builder') as Builder;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const runList = (runs: readonly number[]) => `run${runs.length === 1 ? '' : 's'} ${runs.join(', ')}`;

/** "total-queue (runs 1, 3): evidence" lines for the checkers that could not decide */
function undecidedLines(s: ScenarioSummary): string[] {
  return (s.unknown ?? []).flatMap((u) => (u.evidence.length ? u.evidence : ['(no evidence given)']).map((e) => `${u.checker} (${runList(u.runs)}): ${e}`));
}

interface Failure {
  message: string;
  type: string;
  body: string;
}

export function scenarioFailure(s: ScenarioSummary): Failure | undefined {
  switch (s.verdict) {
    case 'pass':
      return undefined;
    case 'fail': {
      const violations = s.failure?.violations ?? [];
      const byChecker = violations.map((v) => `${v.checker} (${v.evidence.length})`).join(', ');
      const body = [
        ...violations.flatMap((v) => v.evidence.map((e) => `${v.checker}: ${e}`)),
        ...(s.failure ? ['', `minimal schedule (${plural(s.failure.schedule.length, 'step')}):`, ...s.failure.schedule.map((x) => `  - ${x}`), '', `replay: ${s.failure.replay}`] : []),
        ...(s.unknownRuns ? ['', `also ${s.unknownRuns} undecided run${s.unknownRuns === 1 ? '' : 's'}:`, ...undecidedLines(s)] : []),
      ].join('\n');
      return { message: `${plural(s.violations, 'violation')} in ${plural(s.failedRuns, 'failing run')}${byChecker ? `: ${byChecker}` : ''}`, type: 'violation', body };
    }
    case 'unknown': {
      const unknown = s.unknown ?? [];
      const byChecker = unknown.map((u) => `${u.checker} (${u.runs.length})`).join(', ');
      return {
        message: `unknown: ${s.unknownRuns ?? 0} of ${plural(s.runs, 'run')} undecided${byChecker ? `: ${byChecker}` : ''}`,
        type: 'unknown',
        body: [
          'No checker found a violation, but these could not decide, so the scenario did not pass:',
          ...undecidedLines(s),
        ].join('\n'),
      };
    }
    case 'vacuous': {
      const unmet = s.goals.filter((g) => g.metInRuns === 0).map((g) => g.name);
      return {
        message: `vacuous: coverage goal${unmet.length === 1 ? '' : 's'} never met in ${plural(s.runs, 'run')}: ${unmet.join(', ')}`,
        type: 'vacuous',
        body: 'The scenario passed its checkers without exercising what it is meant to test, so the pass proves nothing.',
      };
    }
    case 'incomplete':
      return {
        message: `incomplete: ${s.error ?? 'the scenario was cut short'}`,
        type: 'incomplete',
        body: `Only ${plural(s.runs, 'run')} finished; the scenario has no verdict.`,
      };
  }
}

export function junitXml(summary: ReportSummary): string {
  const builder = junit.newBuilder();
  const suite = builder.testSuite()
    .name(summary.shard ? `chaos shard ${summary.shard.index}/${summary.shard.count}` : 'chaos')
    .time(summary.durationMs / 1000)
    .timestamp(summary.createdAt)
    .property('seed', String(summary.seed))
    .property('bugs', summary.bugs.join(',') || 'none')
    .property('runId', summary.runId)
    .property('system', summary.system?.label ?? 'reference system')
    .property('redisConfig', summary.redisConfig?.join(' ') || 'none');
  if (summary.shard) suite.property('shard', `${summary.shard.index}/${summary.shard.count}`);
  if (summary.merged) suite.property('mergedFrom', summary.merged.from.join(','));
  for (const s of summary.scenarios) {
    const tc = suite.testCase().className('chaos').name(xmlSafe(s.scenario)).time(s.durationMs / 1000);
    const failure = scenarioFailure(s);
    if (failure) tc.failure(xmlSafe(failure.message), failure.type).stacktrace(xmlSafe(failure.body));
  }
  // a suite cut short between scenarios has no incomplete scenario to carry the news
  if (summary.incomplete && !summary.scenarios.some((s) => s.verdict === 'incomplete')) {
    suite.testCase().className('chaos').name('(suite)').time(0)
      .failure('incomplete: the suite was cut short before every scenario ran', 'incomplete');
  }
  return builder.build();
}
