import test from 'ava';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { RegistryTransport } from '../../core/remotes/transport.js';

/**
 * A streamed request body (a blob chunk read from its file) is replayable: each
 * attempt opens it again, so a connection reset mid-body is retried with the
 * whole body, not the rest of a half-read stream.
 */
test('a streamed body is opened again for a retry after a reset mid-body, and sent whole', async (t) => {
  const payload = Buffer.alloc(3 * 1024 * 1024, 7);
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    if (requests === 1) {
      req.once('data', () => req.socket.destroy());
      return;
    }
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on('end', () => res.writeHead(202, { 'x-length': String(length), 'x-sha': hash.digest('hex') }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const transport = new RegistryTransport({ backoffMs: 1 });
  let opened = 0;
  try {
    const res = await transport.send({
      method: 'PATCH',
      host,
      target: '/upload',
      subject: 'test',
      body: {
        length: payload.length,
        open: () => {
          opened++;
          return Readable.from([payload.subarray(0, 1024 * 1024), payload.subarray(1024 * 1024)]);
        },
      },
    });
    res.body.resume();
    t.is(res.status, 202);
    t.is(requests, 2);
    t.is(opened, 2);
    t.is(res.headers['x-length'], String(payload.length));
    t.is(res.headers['x-sha'], createHash('sha256').update(payload).digest('hex'));
  } finally {
    transport.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
