import test from 'ava';
import { conformanceSuite } from '../../core/testkit/index.js';
import { FuseDriver } from '../../drivers/fuse/index.js';
import { driverContext } from '../../core/engine.js';

await conformanceSuite(test, { name: 'fuse', factory: (home) => new FuseDriver(driverContext(home)) });
