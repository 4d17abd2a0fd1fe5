// `chaos images`: its options. The docker environment (harness/env/docker/) is loaded when it runs.
import { Command } from 'commander';

export function imagesCommand(): Command {
  return new Command('images')
    .description('build the docker environment\'s images from this machine\'s binaries (redis-server, toxiproxy-server, node); reused while the binaries are unchanged')
    .option('--rebuild', 'build them even when present');
}
