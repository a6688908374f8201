// Lint: typescript-eslint's recommended rules plus the layer rules of the architecture
// guide, written as import boundaries so a layer that reaches upward fails `npm run lint`.
import './scripts/eslint-typescript.mjs';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Who may import whom, by top-level folder of src/. `only` lists everything a layer may
// reach outside itself; `never` lists what it must not reach (the rest is allowed).
// errors.ts and util/ sit below every layer.
const LAYERS = {
  pulsar: { only: ['errors.js', 'util'], why: 'the Pulsar client imports nothing above it (only src/errors.ts and src/util)' },
  config: { only: ['errors.js', 'util', 'pulsar'], why: 'config sits just above the client: it may import only pulsar, errors and util' },
  util: { only: ['errors.js'], why: 'util is below every layer: it may import only src/errors.ts' },
  core: { never: ['broker', 'services', 'ui', 'commands', 'cli'], why: 'core never imports the layers above it (broker, services, ui, commands)' },
  broker: { never: ['services', 'ui', 'commands', 'cli'], why: 'broker never imports services, ui or commands' },
  services: { never: ['ui', 'commands', 'cli'], why: 'services never import ui or commands: they throw, they do not print' },
  ui: { never: ['pulsar', 'commands', 'cli'], why: 'ui never imports the Pulsar client nor commands: it renders what core and services hand it' },
  commands: { never: ['pulsar'], why: 'commands never import the Pulsar client: connections are opened in core' },
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alternatives = (names) => names.map((n) => (n.endsWith('.js') ? `${escape(n)}$` : `${escape(n)}(?:/|$)`)).join('|');

// A specifier such as '../commands/send.js' means different folders at different depths
// (src/commands/broker/ is not src/broker/), so each depth gets its own exact pattern:
// a file d folders below src/<layer>/ leaves src/ after d+1 '../'.
function boundaryBlocks(layer, rule) {
  return [0, 1, 2, 3].map((depth) => {
    const up = `^(?:\\.\\./){${depth + 1}}`;
    const regex = rule.only ? `${up}(?!(?:${alternatives(rule.only)}))` : `${up}(?:${alternatives(rule.never)})`;
    return {
      files: [`src/${layer}/${'*/'.repeat(depth)}*.{ts,tsx}`],
      rules: { 'no-restricted-imports': ['error', { patterns: [{ regex, message: `Layer rule: ${rule.why}.` }] }] },
    };
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/out/', 'test-output/', 'tmp/', '.venv/', 'oclif.manifest.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: globals.node,
    },
    rules: {
      // `_`-prefixed names are deliberate placeholders (unused callback parameters, rest-omit).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // A terminal UI strips and matches control characters (ANSI escapes, C0 codes) on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests and benchmarks poke into untyped JSON (reports, schemas, REST answers), and their
    // regexes match rendered columns space for space, as the screen shows them.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-regex-spaces': 'off' },
  },
  ...Object.entries(LAYERS).flatMap(([layer, rule]) => boundaryBlocks(layer, rule)),
  // errors.ts is below everything: it imports nothing from src.
  {
    files: ['src/errors.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.', message: 'Layer rule: src/errors.ts imports nothing from src.' }] }] },
  },
);
