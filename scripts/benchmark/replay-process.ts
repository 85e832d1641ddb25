// The replay client's process (see replays.ts).
import { replay } from '../replay/run.js';
import { serveChildTask } from './children.js';
import { loadScenario, withUserSuffix, type ReplaySpec } from './replays.js';

serveChildTask('result', async (spec: ReplaySpec) =>
  replay({
    url: spec.url,
    actions: withUserSuffix(await loadScenario(spec.scenario), spec.suffix),
    concurrency: spec.concurrency,
    timeoutMs: 300,
    keepAlive: false,
    authorization: spec.authorization,
  }),
);
