// This repository's own config, found in its root by every `npm run chaos`: the example systems
// (examples/: applications on BullMQ, Bull and bee-queue) beside the built-in reference system,
// so `--system bullmq` works here as it would in a project whose config names its own systems.
// The reference system stays the default.
import { defineConfig } from './harness/index.ts';

export default defineConfig({
  systems: ['./examples/bullmq/system.ts', './examples/bee-queue/system.ts', './examples/bull/system.ts'],
});
