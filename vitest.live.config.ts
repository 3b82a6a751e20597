import { defineConfig } from 'vitest/config';

/** `npm run test:live`: tests against real vendor endpoints, opt-in (they cost money and need keys). */
export default defineConfig({
  test: {
    include: ['test/live/**/*.live.ts'],
    globalSetup: ['./test/fixtures/global-setup.ts'],
    testTimeout: 300_000,
    pool: 'forks',
  },
});
