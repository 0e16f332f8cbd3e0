import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { name: 'rate-limit', include: ['src/**/*.test.ts'] } });
