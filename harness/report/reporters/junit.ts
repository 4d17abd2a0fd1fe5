// junit.xml: one testcase per scenario, for a CI dashboard (../junit.ts draws it).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { junitXml } from '../junit.ts';
import { FileReporter, type OpenReport } from './directory.ts';

export async function writeJunitFile(report: OpenReport): Promise<void> {
  const path = join(report.dir, 'junit.xml');
  await writeFile(path, junitXml(report.summary));
  report.files.push(path);
}

export class JunitReporter extends FileReporter {
  write(report: OpenReport): Promise<void> {
    return writeJunitFile(report);
  }
}
