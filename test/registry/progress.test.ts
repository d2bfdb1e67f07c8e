import test from 'ava';
import { PullProgressRenderer } from '../../cli/format/pull-progress.js';
import { PushProgressRenderer } from '../../cli/format/push-progress.js';
import { humanSize, progressBar } from '../../cli/format/status-block.js';

function capture(isTTY: boolean): { isTTY: boolean; text: string; write(s: string): void } {
  return { isTTY, text: '', write(s: string) { this.text += s; } };
}

const ref = { domain: '127.0.0.1:5000', path: 'app', tag: '1' };

test('piped pull output is plain lines, one per status change, as docker pull prints them', (t) => {
  const out = capture(false);
  const r = new PullProgressRenderer(out);
  r.start(ref);
  r.event({ id: 'aaaaaaaaaaaa', status: 'Already exists' });
  r.event({ id: 'bbbbbbbbbbbb', status: 'Waiting' });
  r.event({ id: 'bbbbbbbbbbbb', status: 'Downloading', current: 10, total: 100 });
  r.event({ id: 'bbbbbbbbbbbb', status: 'Downloading', current: 100, total: 100 });
  r.event({ id: 'bbbbbbbbbbbb', status: 'Download complete' });
  r.event({ id: 'aaaaaaaaaaaa', status: 'Already exists' });
  r.event({ id: 'bbbbbbbbbbbb', status: 'Pull complete' });
  r.finish({ digest: 'sha256:abc', manifestDigest: 'sha256:abc', downloaded: true }, '127.0.0.1:5000/app:1');
  t.is(
    out.text,
    [
      '1: Pulling from app',
      'aaaaaaaaaaaa: Already exists',
      'bbbbbbbbbbbb: Waiting',
      'bbbbbbbbbbbb: Download complete',
      'bbbbbbbbbbbb: Pull complete',
      'Digest: sha256:abc',
      'Status: Downloaded newer image for 127.0.0.1:5000/app:1',
      '127.0.0.1:5000/app:1',
      '',
    ].join('\n'),
  );
});

test('on a terminal the block is redrawn in place with a progress bar', (t) => {
  const out = capture(true);
  const r = new PullProgressRenderer(out);
  r.event({ id: 'aaaaaaaaaaaa', status: 'Waiting' });
  r.event({ id: 'bbbbbbbbbbbb', status: 'Waiting' });
  r.event({ id: 'aaaaaaaaaaaa', status: 'Downloading', current: 1_500_000, total: 3_000_000 });
  t.true(out.text.includes('\x1b[2A\r\x1b[2Kaaaaaaaaaaaa: Downloading [=========================>'));
  t.true(out.text.includes('1.5MB/3MB'));
});

test('quiet pull prints only the name; push output is docker push\'s', (t) => {
  const quiet = capture(false);
  const q = new PullProgressRenderer(quiet, { quiet: true });
  q.start(ref);
  q.event({ id: 'aaaaaaaaaaaa', status: 'Pull complete' });
  q.finish({ digest: 'sha256:abc', manifestDigest: 'sha256:abc', downloaded: false }, 'x:1');
  t.is(quiet.text, 'x:1\n');

  const out = capture(false);
  const p = new PushProgressRenderer(out);
  p.start(ref);
  p.event({ id: 'aaaaaaaaaaaa', status: 'Preparing' });
  p.event({ id: 'aaaaaaaaaaaa', status: 'Pushing', current: 5, total: 10 });
  p.event({ id: 'aaaaaaaaaaaa', status: 'Pushed' });
  p.event({ id: 'bbbbbbbbbbbb', status: 'Mounted from base' });
  p.finish({ tag: '1', digest: 'sha256:def', size: 528 });
  t.is(out.text, 'The push refers to repository [127.0.0.1:5000/app]\naaaaaaaaaaaa: Preparing\naaaaaaaaaaaa: Pushed\nbbbbbbbbbbbb: Mounted from base\n1: digest: sha256:def size: 528\n');
});

test('sizes and bars as Docker draws them', (t) => {
  t.is(humanSize(512), '512B');
  t.is(humanSize(3_145_728), '3.146MB');
  t.is(progressBar(0, 10), `[>${' '.repeat(49)}]  0B/10B`);
  t.is(progressBar(10, 10), `[${'='.repeat(50)}]  10B/10B`);
});
