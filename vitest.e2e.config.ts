import { defineConfig } from 'vitest/config';

// The browser test (npm run test:e2e): headless Chromium against the web app listening on a random port.
// Kept out of `npm test`, whose config includes only test/**/*.test.ts.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
