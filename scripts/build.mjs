// `npm run build` (and `npm pack`, through prepack): the package's JavaScript and type declarations
// in dist/, so that the installed `chaos` runs under plain node, without tsx.
//
// - harness/, scenarios/ and system-under-test/ (never examples/: the example systems on BullMQ,
//   Bull and bee-queue belong to this repository): tsc -p tsconfig.build.json, type-checked,
//   with declarations; relative `.ts` imports become `.js` (rewriteRelativeImportExtensions).
// - what the compiled code reads beside itself: system-under-test/lua/*.lua.
// - a module named by URL rather than imported (`new URL('./main.ts', import.meta.url)`, the
//   executor the reference worker forks) is rewritten to its .js as tsc rewrites imports; the
//   build fails if the .js is not there.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);
const fail = (message) => {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
};

rmSync(dist, { recursive: true, force: true });

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) fail('tsc -p tsconfig.build.json failed');

const files = (dir) => readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));

cpSync(path.join(root, 'system-under-test', 'lua'), path.join(dist, 'system-under-test', 'lua'), { recursive: true });

const moduleUrl = /new URL\((['"])(\.\.?\/[^'"]+)\.ts\1, import\.meta\.url\)/g;
for (const file of files(dist).filter((f) => f.endsWith('.js'))) {
  const text = readFileSync(file, 'utf8');
  const rewritten = text.replace(moduleUrl, (_, quote, rel) => {
    if (!existsSync(path.resolve(path.dirname(file), `${rel}.js`))) fail(`${path.relative(root, file)}: ${rel}.ts is named by URL but ${rel}.js was not built`);
    return `new URL(${quote}${rel}.js${quote}, import.meta.url)`;
  });
  if (rewritten !== text) writeFileSync(file, rewritten);
}

chmodSync(path.join(dist, 'harness', 'cli', 'main.js'), 0o755);
