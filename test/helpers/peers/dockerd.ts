import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingProgram, runPeer } from './run.js';

/**
 * A private Docker 20.10 daemon for one test file: vfs storage on a temp data
 * root, a unix socket in the same temp directory, no iptables, no bridge.
 * Start it with `Dockerd.start()`; `docker(...)` runs the CLI against it;
 * `stop()` kills it and removes everything it made.
 */
export class Dockerd {
  private constructor(
    readonly dir: string,
    readonly socket: string,
    private readonly child: ChildProcess,
  ) {}

  /**
   * Why a daemon cannot be started here (not root, programs missing), or
   * undefined. A daemon that then fails to start is reported by `start()`.
   */
  static async unmet(): Promise<string | undefined> {
    if (process.getuid?.() !== 0) return 'dockerd needs root';
    return (await missingProgram('dockerd', ['--version'])) ?? (await missingProgram('docker', ['--version']));
  }

  /** Starts a daemon and waits (up to 30 s) until it answers. Fails with the daemon's log when it does not. */
  static async start(): Promise<Dockerd> {
    const dir = await mkdtemp(join(tmpdir(), 'strata-dockerd-'));
    const socket = join(dir, 'docker.sock');
    const args = [
      '--storage-driver=vfs', '--iptables=false', '--ip-masq=false', '--bridge=none',
      `--data-root=${join(dir, 'data')}`, `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'docker.pid')}`, '-H', `unix://${socket}`,
    ];
    let log = '';
    const child = spawn('dockerd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    const daemon = new Dockerd(dir, socket, child);
    for (let i = 0; i < 120; i++) {
      if (child.exitCode !== null) break;
      if (await daemon.docker(['version', '--format', '{{.Server.Version}}']).then(() => true, () => false)) return daemon;
      await new Promise((r) => setTimeout(r, 250));
    }
    await daemon.stop();
    throw new Error(`dockerd did not start: ${log.trim().split('\n').slice(-3).join(' | ')}`);
  }

  /** Runs `docker ARGS` against this daemon; resolves to stdout. */
  docker(args: readonly string[]): Promise<string> {
    return runPeer('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${this.socket}`, DOCKER_BUILDKIT: '0' } });
  }

  /** Stops the daemon (SIGTERM, then SIGKILL after 10 s) and removes its directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await runPeer('sh', ['-c', `grep -o ' ${this.dir}[^ ]*' /proc/self/mounts | sort -r | xargs -r -n1 umount -l`]).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
