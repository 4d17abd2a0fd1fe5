// Images without a registry: each is a rootfs holding this machine's own binaries and the shared
// libraries `ldd` lists, imported with `docker import`, labelled with a hash of what went in, and
// reused while that hash holds. The system's roles run on the node image with the project
// directory bind-mounted read-only. Official images can be named instead (CHAOS_IMAGE_*).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { bootstrap } from '../binaries.ts';
import { EnvironmentError } from '../errors.ts';
import { DOCKER_CACHE } from './engine.ts';

export type ImageName = 'redis' | 'toxiproxy' | 'node';
export const IMAGE_NAMES: readonly ImageName[] = ['redis', 'toxiproxy', 'node'];
/** bump when the layout of a built image changes */
const LAYOUT_VERSION = '1';
export const IMAGE_LABEL = 'chaos.harness.image';
export const HASH_LABEL = 'chaos.harness.hash';

export interface ImageSpec {
  name: ImageName;
  /** path inside the image → file on this machine */
  files: Map<string, string>;
  /** the image's tag (content hash) */
  ref: string;
  hash: string;
}

/** The shared libraries a binary links (and the loader), as ldd lists them; none for a static binary. */
export function sharedLibraries(bin: string): string[] {
  let out = '';
  try {
    out = execFileSync('ldd', [bin], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return []; // "not a dynamic executable"
  }
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

function withLibraries(files: Map<string, string>, inImage: string, onHost: string): void {
  files.set(inImage, onHost);
  for (const lib of sharedLibraries(onHost)) files.set(lib, lib);
}

/** What each image holds, and its tag: a hash of every file's path, size and modification time. */
export function imageSpecs(): Record<ImageName, ImageSpec> {
  const bins = bootstrap();
  const build = (name: ImageName, entries: [string, string][]): ImageSpec => {
    const files = new Map<string, string>();
    for (const [inImage, onHost] of entries) withLibraries(files, inImage, onHost);
    const h = createHash('sha256').update(`layout ${LAYOUT_VERSION}\n`);
    for (const [inImage, onHost] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
      const st = statSync(onHost);
      h.update(`${inImage} ${realpathSync(onHost)} ${st.size} ${st.mtimeMs}\n`);
    }
    const hash = h.digest('hex').slice(0, 16);
    return { name, files, hash, ref: `chaos-${name}:${hash}` };
  };
  const which = (cmd: string) => execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
  return {
    redis: build('redis', [['/usr/bin/redis-server', bins.redis]]),
    toxiproxy: build('toxiproxy', [['/usr/bin/toxiproxy-server', bins.toxiproxy]]),
    // the executor's payload is `/bin/sh -c 'sleep "$1"; cat; exit "$2"'` (system-under-test)
    node: build('node', [[process.execPath, process.execPath], ['/bin/sh', which('sh')], ['/bin/sleep', which('sleep')], ['/bin/cat', which('cat')]]),
  };
}

/** A user's own image for a role (a registry is reachable), e.g. CHAOS_IMAGE_REDIS=redis:7. */
export function overrideOf(name: ImageName): string | undefined {
  return process.env[`CHAOS_IMAGE_${name.toUpperCase()}`] || undefined;
}

async function present(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

async function build(docker: Docker, spec: ImageSpec): Promise<void> {
  mkdirSync(DOCKER_CACHE, { recursive: true });
  const root = mkdtempSync(path.join(DOCKER_CACHE, `rootfs-${spec.name}-`));
  try {
    for (const [inImage, onHost] of spec.files) {
      const dest = path.join(root, inImage);
      mkdirSync(path.dirname(dest), { recursive: true });
      copyFileSync(realpathSync(onHost), dest);
      chmodSync(dest, statSync(onHost).mode & 0o7777);
    }
    for (const dir of ['tmp', 'data', 'etc']) mkdirSync(path.join(root, dir), { recursive: true });
    chmodSync(path.join(root, 'tmp'), 0o1777);
    writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/tmp:/bin/sh\n');
    writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\n');
    const tar = path.join(root, '..', `${path.basename(root)}.tar`);
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    try {
      const stream = await docker.importImage(tar, {
        repo: `chaos-${spec.name}`, tag: spec.hash,
        changes: [`LABEL ${IMAGE_LABEL}=${spec.name} ${HASH_LABEL}=${spec.hash}`, 'WORKDIR /tmp'],
      } as never);
      await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream as unknown as NodeJS.ReadableStream, (err: Error | null) => (err ? reject(err) : resolve())));
    } finally {
      rmSync(tar, { force: true });
    }
    if (!(await present(docker, spec.ref))) throw new EnvironmentError(`docker import of ${spec.ref} gave no image`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The image to run for each role: a user's (CHAOS_IMAGE_*), else the one built from this machine's
 * binaries, built now when missing (one progress line each). Older builds of ours are removed.
 */
export async function ensureImages(docker: Docker, log: (s: string) => void, opts: { force?: boolean } = {}): Promise<Record<ImageName, string>> {
  const specs = imageSpecs();
  const refs = {} as Record<ImageName, string>;
  for (const name of IMAGE_NAMES) {
    const own = overrideOf(name);
    if (own) {
      refs[name] = own;
      continue;
    }
    const spec = specs[name];
    refs[name] = spec.ref;
    if (!opts.force && (await present(docker, spec.ref))) continue;
    const started = Date.now();
    log(`docker: building image ${spec.ref} from ${[...spec.files.keys()][0]} and ${spec.files.size - 1} libraries...`);
    await build(docker, spec);
    const info = await docker.getImage(spec.ref).inspect();
    log(`docker: built ${spec.ref} (${(info.Size / 1e6).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    // earlier builds of this image (other binaries) are of no further use
    for (const old of await docker.listImages({ filters: JSON.stringify({ label: [`${IMAGE_LABEL}=${name}`] }) })) {
      if (old.Labels?.[HASH_LABEL] !== spec.hash) await docker.getImage(old.Id).remove({ force: true }).catch(() => undefined);
    }
  }
  return refs;
}

/** Size of each image in MB (for `chaos images`). */
export async function imageSizes(docker: Docker, refs: Record<ImageName, string>): Promise<Record<ImageName, number>> {
  const out = {} as Record<ImageName, number>;
  for (const name of IMAGE_NAMES) out[name] = (await docker.getImage(refs[name]).inspect()).Size / 1e6;
  return out;
}
