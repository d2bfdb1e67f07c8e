import type { ImageReference } from '../../core/images/reference.js';
import test from 'ava';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isStrataError } from '../../core/errors.js';
import { RegistryClient, pull } from '../../core/remotes/index.js';
import { DirSink, addImage, addRandomLayer, blobPath, tagInLayout } from '../helpers/oci-dir.js';
import { skopeoCopy, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

let registry: TestRegistry;
let layout: string;
const work: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-fetch-test-'));
  work.push(dir);
  return dir;
}

function port(host: string): number {
  return Number(host.split(':')[1]);
}

test.before(async () => {
  registry = await startRegistry();
  layout = await tempDir();
  await tagInLayout(layout, 'big', await addImage(layout, { layers: [await addRandomLayer(layout, 3 * 1024 * 1024)] }));
  await tagInLayout(layout, 'small', await addImage(layout, { layers: [await addRandomLayer(layout, 64 * 1024)] }));
  await skopeoCopy(registry, `oci:${layout}:big`, `docker://${registry.host}/big:1`, ['--preserve-digests']);
  await skopeoCopy(registry, `oci:${layout}:small`, `docker://${registry.host}/victim:1`, ['--preserve-digests']);
  await tagInLayout(layout, 'other', await addImage(layout, { layers: [await addRandomLayer(layout, 64 * 1024)] }));
  await skopeoCopy(registry, `oci:${layout}:other`, `docker://${registry.host}/flaky:1`, ['--preserve-digests']);
});

test.after.always(async () => {
  await registry?.stop();
  for (const dir of work) await rm(dir, { recursive: true, force: true });
});

test.serial('a download cut mid-blob resumes with a Range request from the bytes received', async (t) => {
  const proxy = await startTcpProxy(port(registry.host), { cutAfter: 1024 * 1024 });
  const client = new RegistryClient();
  try {
    const ref: ImageReference = { domain: proxy.host, path: 'big', tag: '1' };
    const sink = new DirSink(await tempDir());
    await pull(ref, { client, sink });
    t.is(proxy.interventions, 1, 'the proxy cut one connection');
    const layer = sink.committed!.layers[0]!;
    t.deepEqual(await readFile(blobPath(sink.dir, layer.digest)), await readFile(blobPath(layout, layer.digest)));
    const gets = (await registry.blobGets()).filter((g) => g.uri.endsWith(layer.digest));
    t.true(gets.some((g) => g.status === 206), `a ranged GET answered 206: ${JSON.stringify(gets)}`);
  } finally {
    client.close();
    await proxy.close();
  }
});

test.serial('a blob whose bytes do not match its digest is ECORRUPT and discarded; nothing is committed', async (t) => {
  const manifest = JSON.parse((await readFile(blobPath(layout, JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')).manifests.find((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name'] === 'small').digest))).toString()) as { layers: { digest: string; size: number }[] };
  const layer = manifest.layers[0]!;
  const hex = layer.digest.slice(7);
  await writeFile(join(registry.root, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data'), Buffer.alloc(layer.size, 7));
  const client = new RegistryClient();
  const sink = new DirSink(await tempDir());
  const err = await t.throwsAsync(pull({ domain: registry.host, path: 'victim', tag: '1' }, { client, sink }));
  t.true(isStrataError(err, ErrorCode.ECORRUPT), String(err));
  t.regex(err!.message, new RegExp(`${registry.host}/victim:1 \\(blob ${layer.digest}\\)`));
  t.is(sink.committed, undefined);
  t.truthy(sink.aborted);
  const left = await readdir(join(sink.dir, 'blobs', 'sha256')).catch(() => []);
  t.false(left.some((name) => name.startsWith(hex)), 'the corrupt blob is not kept');
  client.close();
});

test.serial('a 5xx is retried; a 4xx is not', async (t) => {
  const proxy = await startTcpProxy(port(registry.host), { answerFirst: 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' });
  const client = new RegistryClient({ backoffMs: 10 });
  try {
    const sink = new DirSink(await tempDir());
    await pull({ domain: proxy.host, path: 'flaky', tag: '1' }, { client, sink });
    t.is(proxy.interventions, 1);
    t.truthy(sink.committed);
    const before = (await registry.requests()).filter((r) => r.uri.includes('/missing/')).length;
    await t.throwsAsync(pull({ domain: registry.host, path: 'missing', tag: '1' }, { client, sink }));
    t.is((await registry.requests()).filter((r) => r.uri.includes('/missing/')).length - before, 1, 'one GET of the manifest, no retry');
  } finally {
    client.close();
    await proxy.close();
  }
});

test.serial('blob GETs follow a redirect to another host (as Docker Hub sends them to a CDN)', async (t) => {
  let redirected = 0;
  const front = http.createServer((req, res) => {
    if (req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')) {
      redirected++;
      res.writeHead(307, { location: `http://${registry.host}${req.url}` }).end();
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port: port(registry.host), path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  const client = new RegistryClient();
  try {
    const sink = new DirSink(await tempDir());
    await pull({ domain: `127.0.0.1:${(front.address() as AddressInfo).port}`, path: 'big', tag: '1' }, { client, sink });
    t.is(redirected, 2, 'config and layer were redirected');
    t.truthy(sink.committed);
  } finally {
    client.close();
    front.closeAllConnections();
    await new Promise((resolve) => front.close(resolve));
  }
});
