// Lint: typescript-eslint (type-aware: an engine must never drop a promise), import boundaries
// that keep STYLE.md's one direction of imports, and no import cycles.
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Each layer and the layers it must not import (domain ← engine ← storage/providers ← api/cli/web). */
const ZONES = [
  {
    target: './src/domain',
    from: [
      './src/engine',
      './src/storage',
      './src/providers',
      './src/api',
      './src/cli',
      './src/sdk',
      './src/mcp',
      './src/app.ts',
      './src/config.ts',
    ],
  },
  {
    target: './src/engine',
    from: [
      './src/storage',
      './src/providers',
      './src/api',
      './src/cli',
      './src/sdk',
      './src/mcp',
      './src/app.ts',
    ],
  },
  {
    target: './src/storage',
    from: ['./src/providers', './src/api', './src/cli', './src/sdk', './src/mcp', './src/app.ts'],
  },
  {
    target: './src/providers',
    from: ['./src/storage', './src/api', './src/cli', './src/sdk', './src/mcp', './src/app.ts'],
  },
  { target: './src/api', from: ['./src/cli', './src/sdk', './src/storage', './src/mcp'] },
  {
    target: './src/sdk',
    from: ['./src/storage', './src/engine', './src/providers', './src/cli', './src/mcp', './src/app.ts'],
  },
  // MCP sits beside api and cli: it speaks to Enrichbase only through the SDK, taking tool input
  // schemas from the API's wire schemas. app.ts mounts it at /mcp, cli serves it on stdio.
  {
    target: './src/mcp',
    from: [
      './src/storage',
      './src/engine',
      './src/providers',
      './src/cli',
      './src/app.ts',
      './src/config.ts',
    ],
  },
  { target: './src/mcp', from: './src/api', except: ['./extruct/schemas.ts'] },
  // The browser UI speaks HTTP only: it may take wire types from the API schemas, nothing else.
  {
    target: './web/src',
    from: [
      './src/storage',
      './src/engine',
      './src/providers',
      './src/cli',
      './src/mcp',
      './src/app.ts',
      './src/config.ts',
    ],
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'test-results/**', 'web/dist/**', 'bin/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: ZONES }],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportAllDeclaration',
          message: 'Name your exports; no export * (STYLE.md: small surfaces).',
        },
      ],
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  {
    // Tests read JSON responses loosely and hand vitest's matchers around.
    files: ['test/**/*.ts', 'src/**/*.test.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The browser UI: typed with web/tsconfig.json (DOM libs), found by the project service.
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
