import test from 'ava';
import { conformanceSuite } from '../../core/testkit/index.js';
import { OverlayDriver } from '../../drivers/overlay/index.js';
import { driverContext } from '../../core/engine.js';

await conformanceSuite(test, { name: 'overlay', factory: (home) => new OverlayDriver(driverContext(home)) });
