import { defineConfig } from 'vitest/config';
import { specwrightGuards } from '@specwright/nx/guards';

// specwrightGuards() is inert unless SPECWRIGHT_GUARDS=1: then every generated export is checked against its spec.
export default defineConfig({ plugins: [specwrightGuards()], test: { name: 'money', include: ['src/**/*.test.ts'] } });
