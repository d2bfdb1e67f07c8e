import type { ScenarioName } from '../results.js';
import { applyScenario } from './apply.js';
import { commitScenario } from './commit.js';
import { layerCommitScenario } from './layer-commit.js';
import { diffScenario } from './diff.js';
import { diskScenario } from './disk.js';
import { lookupsScenario } from './lookups.js';
import type { Scenario } from './scenario.js';
import { snapshotScenario } from './snapshot.js';

/** Every scenario, by name, in report order. */
export const SCENARIO_TABLE: Readonly<Record<ScenarioName, Scenario>> = {
  diff: diffScenario,
  apply: applyScenario,
  lookups: lookupsScenario,
  snapshot: snapshotScenario,
  disk: diskScenario,
  commit: commitScenario,
  'layer-commit': layerCommitScenario,
};

export type { Scenario, ScenarioContext } from './scenario.js';
