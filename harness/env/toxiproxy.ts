import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import { EnvironmentError } from './errors.ts';
import { startWithPortRetry } from './ports.ts';
import type { ManagedProcess, ProcessRegistry } from './processes.ts';
import type { LinkControl } from './surface.ts';

/** A toxiproxy-server owned by the harness, and its HTTP API through toxiproxy-node-client. */
export class ToxiproxyServer {
  port = 0;
  process!: ManagedProcess;
  api!: Toxiproxy;
  private log = '';

  private constructor(private readonly bin: string, private readonly registry: ProcessRegistry) {}

  static async start(bin: string, registry: ProcessRegistry): Promise<ToxiproxyServer> {
    const server = new ToxiproxyServer(bin, registry);
    await startWithPortRetry((port) => server.launch(port));
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async launch(port: number): Promise<void> {
    this.port = port;
    this.process = this.registry.spawn('toxiproxy-server', this.bin, ['-host', '127.0.0.1', '-port', String(port)]);
    this.process.child.stderr?.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-4000)));
    this.process.child.stdout?.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-4000)));
    this.api = new Toxiproxy(this.url);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.process.alive()) {
        throw new EnvironmentError(`toxiproxy-server on port ${port} did not start: ${this.log.trim().split('\n').pop() ?? 'exited'}`);
      }
      try {
        await this.api.getVersion();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new EnvironmentError(`toxiproxy-server on port ${port} did not answer within 10 s`);
  }

  /** A proxy forwarding to upstream (see createProxy). */
  createProxy(name: string, upstreamPort: number): Promise<{ proxy: Proxy; port: number }> {
    return createProxy(this.api, name, upstreamPort);
  }

  async stop(): Promise<void> {
    this.process.signal('SIGTERM');
    const t = setTimeout(() => this.process.signal('SIGKILL'), 3000);
    await this.process.exited;
    clearTimeout(t);
  }
}

/**
 * A proxy forwarding to upstream, listening on a port outside the ephemeral range: a link that
 * is taken down (a partition) binds the same port again when it comes back (see ports.ts).
 */
export async function createProxy(api: Toxiproxy, name: string, upstreamPort: number): Promise<{ proxy: Proxy; port: number }> {
  const proxy = await startWithPortRetry((port) => api.createProxy({ name, listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${upstreamPort}` }));
  const port = Number(proxy.listen.split(':').pop());
  if (!port) throw new EnvironmentError(`toxiproxy gave proxy ${name} no port (listen=${proxy.listen})`);
  return { proxy, port };
}

/** A link's fault controls on its Toxiproxy proxy (every environment whose links are Toxiproxy's). */
export function proxyLinkControl(proxy: Proxy): LinkControl {
  return {
    setEnabled: async (enabled) => {
      await proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
    },
    addToxic: async ({ name, type, stream, attributes }) => {
      await proxy.addToxic({ name, type: type as never, stream, toxicity: 1, attributes: attributes as never });
    },
    removeToxic: async (name) => {
      try {
        await (await proxy.getToxic(name)).remove();
      } catch {
        /* already gone (a reset healed it) */
      }
    },
  };
}
