import test from 'ava';
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { isStrataError } from '../../core/errors.js';
import { isAddArchive } from '../../core/build/context/add-archive.js';
import { ContextFilter, parseDockerignore } from '../../core/build/context/dockerignore.js';
import { goMatch } from '../../core/build/context/go-match.js';
import { resolveSources, walkContext } from '../../core/build/context/resolve-sources.js';
import { combineSourceHashes, entryHash, hashContextSource } from '../../core/build/context/source-hash.js';
import { mtimeFromLastModified, urlDestination } from '../../core/build/context/url-source.js';
import { stepCacheKey } from '../../core/build/cache-key.js';

const exec = promisify(execFile);

async function context(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'strata-ctx-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    if (content.startsWith('->')) await symlink(content.slice(2), join(root, path));
    else await writeFile(join(root, path), content);
  }
  return root;
}

test('.dockerignore: comments, leading /, ** and ! exceptions; parents exclude children', (t) => {
  const patterns = parseDockerignore('# c\n\n/drop\n!drop/important.txt\n**/*.log\n!keep/sub/*.log\n ./x/../tmp \n');
  t.deepEqual(patterns, ['drop', '!drop/important.txt', '**/*.log', '!keep/sub/*.log', 'tmp']);
  const f = new ContextFilter(patterns);
  t.true(f.excludes('drop/c.txt'));
  t.false(f.excludes('drop/important.txt'));
  t.true(f.excludes('top.log'));
  t.true(f.excludes('a/b/c.log'));
  t.false(f.excludes('keep/sub/b.log'));
  t.true(f.excludes('tmp/deep/file'));
  t.false(f.excludes('keep/a.txt'));
});

test('wildcards follow Go filepath.Match: * and ? stop at /, classes, escapes', (t) => {
  t.true(goMatch('*.txt', 'a.txt'));
  t.false(goMatch('*.txt', 'dir/a.txt'));
  t.true(goMatch('x?', 'x1'));
  t.true(goMatch('[c].md', 'c.md'));
  t.true(goMatch('[^a]*', 'b'));
  t.false(goMatch('[^a]*', 'a'));
  t.true(goMatch('[a-c]', 'b'));
  t.true(goMatch('\\*', '*'));
  t.false(goMatch('[', '['));
  t.true(goMatch('dir/*', 'dir/in'));
});

test('sources: nothing outside the context, links followed inside it, missing and excluded fail', async (t) => {
  const root = await context({ file: 'content\n', 'dir/in': 'x', abs: '->/etc/passwd', up: '->../../etc/passwd', 'dir/rel': '->../file', '.dockerignore': 'secret\n', secret: 's' });
  try {
    const filter = new ContextFilter(['secret']);
    const err = await t.throwsAsync(resolveSources(root, ['../x'], '/x', 'COPY', filter));
    t.true(isStrataError(err, 'EBUILD'));
    t.is(err!.message, 'forbidden path outside the build context: ../x');
    await t.throwsAsync(resolveSources(root, ['abs'], '/x', 'COPY'), { message: 'file not found in build context or excluded by .dockerignore: stat abs: file does not exist' });
    await t.throwsAsync(resolveSources(root, ['up'], '/x', 'COPY'), { message: /stat up: file does not exist/ });
    await t.throwsAsync(resolveSources(root, ['secret'], '/x', 'COPY', filter), { message: /stat secret: file does not exist/ });
    const [rel] = await resolveSources(root, ['dir/rel'], '/x', 'COPY');
    t.like(rel, { kind: 'path', rel: 'file' });
    await t.throwsAsync(resolveSources(root, ['*.none'], '/x/', 'COPY'), { message: 'no source files were specified' });
    await t.throwsAsync(resolveSources(root, ['file', 'dir'], '/x', 'ADD'), { message: 'When using ADD with more than one source file, the destination must be a directory and end with a /' });
    await t.throwsAsync(resolveSources(root, ['http://h/x'], '/x', 'COPY'), { message: /can't be a URL for COPY/ });
    t.like((await resolveSources(root, ['http://h/x'], '/x', 'ADD'))[0], { kind: 'url' });
    t.deepEqual((await resolveSources(root, ['./*', '/di?'], '/x/', 'COPY', filter)).map((s) => s.kind === 'path' && s.rel), ['.dockerignore', 'abs', 'dir', 'file', 'up', 'dir']);
    t.deepEqual(await walkContext(root, filter), ['.dockerignore', 'abs', 'dir', 'dir/in', 'dir/rel', 'file', 'up']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('source hashes: mtimes ignored, modes and content not; Docker\'s hash for a known file', async (t) => {
  const root = await context({ hello: 'hello\n', 'd/a': 'a', 'd/b': 'b' });
  try {
    const hash = async (rel: string): Promise<string> => hashContextSource(root, rel, await lstat(join(root, rel)));
    t.is(await hash('hello'), 'file:0b23fec84d515a1075879e4ffc392f7ce02f86cde73b41f445bb56f8be323eff');
    const dir = await hash('d');
    await utimes(join(root, 'd/a'), 1000, 1000);
    t.is(await hash('d'), dir);
    await chmod(join(root, 'd/a'), 0o600);
    t.not(await hash('d'), dir);
    await chmod(join(root, 'd/a'), 0o644);
    t.is(await hash('d'), dir);
    await writeFile(join(root, 'd/a'), 'A');
    t.not(await hash('d'), dir);
    t.is(combineSourceHashes(['file:x']), 'file:x');
    t.regex(combineSourceHashes(['file:x', 'dir:y']), /^multi:[0-9a-f]{64}$/);
    t.is(await entryHash({ name: 'inner-suid', type: 'file', mode: 0o4755, uid: 0, gid: 0, uname: 'root', gname: 'root', size: 2, content: async function* () { yield Buffer.from('x\n'); } }),
      '23d249fb703cf288048456a7e893ae8e3239130dbfff48f9f8e4bbe8934ad9e5');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('ADD extracts tars by content (plain, gzip, bzip2, xz), not a gzip of a text', async (t) => {
  const root = await context({ 't/in': 'x\n' });
  try {
    await exec('tar', ['-C', join(root, 't'), '-cf', join(root, 'a.tar'), 'in']);
    await exec('sh', ['-c', 'gzip -c a.tar > a.notgz-name; bzip2 -c a.tar > a.bz; xz -c a.tar > a.xz; echo text | gzip > text.gz; : > empty', ], { cwd: root });
    await writeFile(join(root, 'raw.gz'), gzipSync(Buffer.alloc(1024)));
    for (const f of ['a.tar', 'a.notgz-name', 'a.bz', 'a.xz']) t.true((await isAddArchive(join(root, f))).archive, f);
    t.like(await isAddArchive(join(root, 'a.xz')), { compression: 'xz' });
    for (const f of ['text.gz', 'empty', 'raw.gz', 't/in']) t.false((await isAddArchive(join(root, f))).archive, f);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('ADD <url>: file name from the URL, Last-Modified becomes the mtime when it parses', (t) => {
  t.is(urlDestination('http://h/a/b.tar.gz?x=1', '/dst/'), '/dst/b.tar.gz');
  t.is(urlDestination('http://h/a/b', '/file'), '/file');
  t.throws(() => urlDestination('http://h/', '/dst/'), { message: /cannot determine filename/ });
  t.is(mtimeFromLastModified('Wed, 21 Oct 2015 07:28:00 GMT').toISOString(), '2015-10-21T07:28:00.000Z');
  t.is(mtimeFromLastModified('Wednesday, 21-Oct-15 07:28:00 GMT').toISOString(), '2015-10-21T07:28:00.000Z');
  t.is(mtimeFromLastModified('Wed Oct 21 07:28:00 2015').toISOString(), '2015-10-21T07:28:00.000Z');
  t.is(mtimeFromLastModified('yesterday').getTime(), 0);
  t.is(mtimeFromLastModified(undefined).getTime(), 0);
});

test('step cache key: same parent, created_by and config hit; any change misses', (t) => {
  const k = stepCacheKey({ parent: 'sha256:p', createdBy: '/bin/sh -c x', config: { Env: ['A=1'], Cmd: ['/bin/sh'] } });
  t.is(stepCacheKey({ parent: 'sha256:p', createdBy: '/bin/sh -c x', config: { Cmd: ['/bin/sh'], Env: ['A=1'] } }), k);
  t.not(stepCacheKey({ parent: 'sha256:q', createdBy: '/bin/sh -c x', config: { Env: ['A=1'], Cmd: ['/bin/sh'] } }), k);
  t.not(stepCacheKey({ parent: 'sha256:p', createdBy: '|1 A=2 /bin/sh -c x', config: { Env: ['A=1'], Cmd: ['/bin/sh'] } }), k);
  t.not(stepCacheKey({ parent: 'sha256:p', createdBy: '/bin/sh -c x', config: { Env: ['A=2'], Cmd: ['/bin/sh'] } }), k);
});
