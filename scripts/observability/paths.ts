// test/observability/deploy-config.test.ts still imports REPO_ROOT from here; scripts/lib/paths.ts is its home.
export { REPO_ROOT } from '../lib/paths.js';
