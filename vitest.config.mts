import { defineConfig } from 'vitest/config';

// The workspace's whole test suite: every project's own vitest config.
export default defineConfig({
  test: {
    projects: ['apps/*/vitest.config.mts', 'libs/*/vitest.config.mts', 'tools/*/vitest.config.mts'],
  },
});
