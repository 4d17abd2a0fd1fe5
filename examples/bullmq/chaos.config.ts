// The bullmq example's own config: its system (./system.ts) and nothing else, so
// `npm run chaos -- --config examples/bullmq/chaos.config.ts` runs the default suite against it.
import { defineConfig } from '../../harness/index.ts';

export default defineConfig({ systems: ['./system.ts'], system: 'bullmq' });
