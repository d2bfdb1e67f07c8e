import test from 'ava';
import { conformanceSuite } from '../../core/testkit/index.js';
import { FuseDriver } from '../../drivers/fuse/index.js';

await conformanceSuite(test, { name: 'fuse', factory: (home) => new FuseDriver({ home, options: {} }) });
