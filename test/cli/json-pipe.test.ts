// --json on a pipe: the whole summary reaches the reader. A shell pipe takes 64 KB at a time and
// process.exit drops what is still queued, so a large summary (a budgeted search keeps many run
// records) ended at exactly 65,536 bytes, mid-object, and every script reading it failed to parse it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const project = path.resolve(fileURLToPath(import.meta.url), '../../..');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('chaos --json on a pipe', () => {
  it('writes the whole summary, past 64 KB, before it exits', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'chaos-json-'));
    const chaos = [process.execPath, '--import', tsx, path.join(project, 'harness/cli/main.ts'), '--sim', '--scenario', 'latency', '--budget', '8s', '--seed', '1', '--json', '--report-dir', out]
      .map((a) => `'${a}'`).join(' ');
    // through `cat`, as `chaos --json | jq` reads it
    const r = spawnSync('/bin/sh', ['-c', `${chaos} 2>/dev/null | cat`], { cwd: project, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    expect(r.stdout.length).toBeGreaterThan(65_536);
    const summary = JSON.parse(r.stdout) as { scenarios: { scenario: string }[] };
    expect(summary.scenarios.map((s) => s.scenario)).toEqual(['latency']);
  }, 150_000);
});
