import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { name: 'invoice-cli', include: ['src/**/*.test.ts'] } });
