// Lint rules for hand-written and generated TypeScript alike (npm run lint, part of npm test).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'generated/kaitai/',
      'bench/out/',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      // Type-checked against the packed package by test/package/, not by this project's tsconfig.
      'test/fixtures/consumer/',
      // Needs its own node_modules (libp2p), installed by bench:net on first use: linted there (npm run check).
      'bench/gossipsub/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The generator writes code through a tagged template (w.line`...`): a statement, not a value.
      '@typescript-eslint/no-unused-expressions': ['error', { allowTaggedTemplates: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Fakes implement async interfaces (spawnNode, checkNodes, …) without anything to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
