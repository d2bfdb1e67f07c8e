import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { DriverRegistry, loadConfig } from '../../core/engine.js';
import { conformanceSuite } from '../../core/testkit/index.js';

// The driver reaches strata as a user's strata.json names it: a plugin, by path.
const plugin = fileURLToPath(new URL('./module.js', import.meta.url));

await conformanceSuite(test, {
  name: 'plain-copy',
  async factory(home) {
    const root = join(home, 'store');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'strata.json'), JSON.stringify({ driver: 'plain-copy', plugins: [plugin] }));
    const config = await loadConfig({ root }, {});
    return (await DriverRegistry.load(config, [])).open(config.driver);
  },
});
