import test from 'ava';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryTree } from '../../core/engine.js';
import { bytesOf, describeTree, layerTar, layerTree, newDriver, requireMounts } from './fixtures.js';

const DEPTH = 200;

/**
 * Layer i adds /d/f<i>, overwrites /shared, and deletes /d/f<i-2>; every 50th
 * layer makes /d opaque and keeps only its own file.
 */
function layerSpec(i: number): Record<string, string> {
  const spec: Record<string, string> = { 'd/': '' };
  if (i % 50 === 0) spec['d/.wh..wh..opq'] = '';
  spec[`d/f${i}`] = `file ${i}`;
  if (i >= 2 && i % 50 !== 0) spec[`d/.wh.f${i - 2}`] = '';
  spec.shared = `written by ${i}`;
  return spec;
}

/** What /d holds after layer `top`, by the rules layerSpec follows: from the last opaque layer up, minus the deleted. */
function expectedNames(top: number): string[] {
  const kept = new Set<number>();
  for (let i = top - (top % 50); i <= top; i++) {
    kept.add(i);
    if (i % 50 !== 0) kept.delete(i - 2);
  }
  return [...kept].map((i) => `f${i}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

test(`a stack of ${DEPTH} layers applies, lists and mounts correctly`, async (t) => {
  const driver = await newDriver(t);
  let parent: string | null = null;
  for (let i = 0; i < DEPTH; i++) {
    const id = `layer${i}`;
    await driver.create(id, parent, { writable: false });
    await driver.applyDiff(id, parent, layerTar(layerSpec(i)));
    parent = id;
  }
  const top = `layer${DEPTH - 1}`;
  for (const i of [0, 1, 49, 50, 51, 120, DEPTH - 1]) {
    t.deepEqual(await driver.readdir(`layer${i}`, '/d'), expectedNames(i), `/d of layer ${i}`);
  }
  t.is((await bytesOf(await driver.read(top, '/shared'))).toString(), `written by ${DEPTH - 1}`);
  t.is(await driver.stat(top, `/d/f${DEPTH - 3}`), undefined);

  if (!(await requireMounts(t))) return;
  const merged = await driver.mount(top);
  t.deepEqual(await readdir(join(merged, 'd')), expectedNames(DEPTH - 1).sort());
  t.is(await readFile(join(merged, 'shared'), 'utf8'), `written by ${DEPTH - 1}`);
  t.deepEqual(await describeTree(new DirectoryTree(merged)), await describeTree(layerTree(driver, top)));
  await driver.create('rw', top, { writable: true });
  const rw = await driver.mount('rw');
  t.deepEqual((await readdir(join(rw, 'd'))).sort(), expectedNames(DEPTH - 1).sort(), 'a writable mount on the whole stack');
});
