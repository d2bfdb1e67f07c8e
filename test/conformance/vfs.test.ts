import test from 'ava';
import { conformanceSuite } from '../../core/testkit/index.js';
import { VfsDriver } from '../../drivers/vfs/index.js';
import { driverContext } from '../../core/engine.js';

await conformanceSuite(test, { name: 'vfs', factory: (home) => new VfsDriver(driverContext(home)) });
