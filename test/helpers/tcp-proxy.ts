import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy in front of a test server, to break connections the way
 * a network does. `cutAfter`: the first connection whose upstream→client bytes
 * pass that many is destroyed mid-stream, once. `answerFirst`: the first
 * connection gets these raw bytes instead of reaching upstream (a 503, ...).
 */
export interface ProxyOptions {
  readonly cutAfter?: number;
  readonly answerFirst?: string;
}

export interface TcpProxy {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** Connections cut or answered so far. */
  readonly interventions: number;
  close(): Promise<void>;
}

export async function startTcpProxy(upstreamPort: number, options: ProxyOptions): Promise<TcpProxy> {
  let interventions = 0;
  let cut = false;
  let answered = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const answer = options.answerFirst;
    if (answer !== undefined && !answered) {
      answered = true;
      interventions++;
      client.once('data', () => client.end(answer));
      return;
    }
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    let sent = 0;
    upstream.on('data', (chunk: Buffer) => {
      if (options.cutAfter !== undefined && !cut && sent + chunk.length > options.cutAfter) {
        cut = true;
        interventions++;
        client.write(chunk.subarray(0, Math.max(0, options.cutAfter - sent)));
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      sent += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('end', () => client.end());
    client.on('end', () => upstream.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    get interventions() {
      return interventions;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
