// The harness's layers, as forbidden imports (issue 22, item 7 "Layers that hold").
// test/layers.test.ts runs these rules over harness/ and system-under-test/ and over a fixture
// that breaks each of them; `npx depcruise harness system-under-test` runs them by hand.
// Paths are relative to the cruise's base directory (the repository root, or the fixture's).
// Type-only imports count: a layer that names another's types depends on it all the same.
// A known upward import that is being removed may be a temporary exception: a regular expression
// for the importing file in the rule's from.pathNot (which holds nothing else), commented with its
// issue; test/layers.test.ts fails once the import is gone, so the exception goes with it.
// None is left (the last, env → systems/index.ts and systems/reference.ts, went in a808610).

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'checkers-only-history',
      comment:
        'A checker is a pure function history → verdict: harness/checkers/** imports only its own folder and ' +
        'harness/history/** (node built-ins and npm packages are allowed, none is used today).',
      severity: 'error',
      from: { path: '^harness/checkers/' },
      to: { dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'], pathNot: '^harness/(checkers|history)/' },
    },
    {
      name: 'no-cli-below',
      comment: 'The CLI is the top layer: harness/report/**, harness/env/** and harness/runner/** never import harness/cli/**.',
      severity: 'error',
      from: { path: '^harness/(report|env|runner)/' },
      to: { path: '^harness/cli/' },
    },
    {
      name: 'env-not-systems',
      comment:
        'The environment runs whatever system it is handed: harness/env/** imports of harness/systems/** only ' +
        'the contract (systems/types.ts), never the loader or a system.',
      severity: 'error',
      from: { path: '^harness/env/' },
      to: { path: '^harness/systems/', pathNot: '^harness/systems/types\\.ts$' },
    },
    {
      name: 'sut-not-harness',
      comment: 'The system under test knows nothing of the harness that tests it: system-under-test/** never imports harness/**.',
      severity: 'error',
      from: { path: '^system-under-test/' },
      to: { path: '^harness/' },
    },
    {
      name: 'instrument-alone',
      comment:
        'The instrumentation kit is what a system under test imports to write its evidence: harness/instrument/** ' +
        'imports nothing of the harness (and of npm, only types), so it adds nothing to the system it is put in.',
      severity: 'error',
      from: { path: '^harness/instrument/' },
      to: { pathNot: '^harness/instrument/', dependencyTypesNot: ['core', 'type-only'] },
    },
    {
      name: 'package-not-examples',
      comment:
        'The package ships harness/, scenarios/ and system-under-test/, never examples/: none of them imports ' +
        'examples/** (an example system is registered by a config file, as this repository\'s chaos.config.ts does).',
      severity: 'error',
      from: { path: '^(harness|scenarios|system-under-test)/' },
      to: { path: '^examples/' },
    },
    {
      name: 'history-not-env',
      comment: 'The history is data and its reading: harness/history/** imports nothing of harness/env/**.',
      severity: 'error',
      from: { path: '^harness/history/' },
      to: { path: '^harness/env/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // type-only imports (`import type`) are dependencies too
    tsPreCompilationDeps: true,
  },
};
