// summary.json: the machine-readable report (../summary.ts draws it), what a baseline gate reads.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileReporter, type OpenReport } from './directory.ts';

export async function writeSummaryFile(report: OpenReport): Promise<void> {
  const path = join(report.dir, 'summary.json');
  await writeFile(path, `${JSON.stringify(report.summary, null, 2)}\n`);
  report.files.push(path);
}

export class SummaryReporter extends FileReporter {
  write(report: OpenReport): Promise<void> {
    return writeSummaryFile(report);
  }
}
