import test from 'ava';
import fc from 'fast-check';
import { isStrataError, naiveChanges, naiveDiff } from '../../core/engine.js';
import { freshDriver, layerReader, layerTar, sha256Of, storeCheck } from './fixtures.js';
import { layerOps, tarItemsOf } from './random-layers.js';

/** Applies a tar; a refused one (e.g. a write below a lower symlink) must leave the layer unchanged, which the caller's checks then see. */
async function applyOrRefuse(driver: Awaited<ReturnType<typeof freshDriver>>['driver'], id: string, parent: string | null, ops: Parameters<typeof tarItemsOf>[0]): Promise<boolean> {
  try {
    await driver.applyDiff(id, parent, layerTar(tarItemsOf(ops)));
    return true;
  } catch (err) {
    if (isStrataError(err, 'EUNSAFEARCHIVE')) return false;
    throw err;
  }
}

test('the native diff gives the bytes and changes of core\'s naive diff for random layer pairs', async (t) => {
  const { driver } = await freshDriver(t);
  let n = 0;
  let applied = 0;
  await fc.assert(
    fc.asyncProperty(layerOps, layerOps, layerOps, async (baseOps, midOps, topOps) => {
      n++;
      const [base, mid, top] = [`b${n}`, `m${n}`, `t${n}`];
      await driver.create(base, null, { writable: false });
      await applyOrRefuse(driver, base, null, baseOps);
      await driver.create(mid, base, { writable: false });
      if (await applyOrRefuse(driver, mid, base, midOps)) applied++;
      await driver.create(top, mid, { writable: false });
      await applyOrRefuse(driver, top, mid, topOps);
      for (const [upper, lower] of [[mid, base], [top, mid], [top, base], [top, null], [base, top]] as const) {
        const lowerReader = lower === null ? null : layerReader(driver, lower);
        const native = await sha256Of(await driver.diff(upper, lower));
        const naive = await sha256Of(naiveDiff(lowerReader, layerReader(driver, upper)));
        if (native !== naive) return false;
        t.deepEqual(await driver.changes(upper, lower), await naiveChanges(lowerReader, layerReader(driver, upper)));
      }
      return true;
    }),
    { numRuns: 60 },
  );
  t.true(applied > 30, `only ${applied} of ${n} generated layers applied`);
});

test('a refused tar leaves the layer exactly as its parent', async (t) => {
  const { driver } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar([[{ name: 'link', type: 'symlink', linkname: '/etc' }]]));
  await driver.create('child', 'base', { writable: false });
  const err = await t.throwsAsync(driver.applyDiff('child', 'base', layerTar([[{ name: 'new' }, 'n'], [{ name: 'link/passwd' }, 'x']])));
  t.is((err as { code?: string }).code, 'EUNSAFEARCHIVE');
  t.regex(err!.message, /link\/passwd/);
  t.deepEqual(await driver.changes('child', 'base'), []);
  t.deepEqual(await driver.readdir('child', '/'), ['link']);
  t.deepEqual(await storeCheck(driver), []);
});
