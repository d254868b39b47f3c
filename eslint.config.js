// Lint for the TypeScript sources (type-aware, against tsconfig.json) and the few plain JS files.
// Formatting is Prettier's job (.prettierrc.json); eslint-config-prettier turns off the rules it owns.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'data/', '.tap/', 'bench/out/', 'test/artifacts/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
  },
  {
    rules: {
      // `const { log: _log, ...rest } = o` drops a field on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Name checks match control characters on purpose.
      'no-control-regex': 'off',
      // Regexes match column-aligned CLI output, runs of spaces included, as it is printed.
      'no-regex-spaces': 'off',
      eqeqeq: ['error', 'smart'],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // tap tracks its subtests: `t.test(...)` is not awaited by design.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      // Subtests are written `async (t) => ...` throughout, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      // Tests read JSON answers (and browser-evaluated values) as loose objects, then assert their shape.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      // tsc needs the `!`/casts these flag (tap's assertion signatures narrow differently for the type-aware linter).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // Plain JS is not in tsconfig.json: no type information for it.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The dashboard's page script runs in the browser as a classic script.
    files: ['src/ops/dashboard/public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  prettier,
);
