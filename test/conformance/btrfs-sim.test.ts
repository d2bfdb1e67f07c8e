import test from 'ava';
import { conformanceSuite } from '../../core/testkit/index.js';
import { BtrfsSimDriver } from '../../drivers/btrfs-sim/index.js';
import { driverContext } from '../../core/engine.js';

await conformanceSuite(test, { name: 'btrfs-sim', factory: (home) => new BtrfsSimDriver(driverContext(home)) });
