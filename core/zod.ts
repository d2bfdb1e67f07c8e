/**
 * zod's English messages (`expected string, received number`), set once for
 * the whole process: strata's schemas use the tree-shakable `zod/mini` API
 * (the classic API bundles every locale and costs tens of ms of start-up per
 * command), which loads no locale itself. Every module with a schema imports
 * this one for that effect, and `zod/mini` itself as a namespace (a
 * re-exported namespace would defeat tree shaking).
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
