// typescript-eslint parses with the TypeScript compiler API, which TypeScript 7 (the
// native compiler this project builds with) does not ship. The linter therefore parses
// with TypeScript 6 (the devDependency `typescript-6`): this hook sends the linter's
// `typescript` imports there and leaves everyone else's alone. Delete it, the alias and
// the `overrides` entry in package.json once typescript-eslint supports TypeScript 7.
import { registerHooks } from 'node:module';

const LINTER = /\/node_modules\/(?:@typescript-eslint\/[^/]+|typescript-eslint|ts-api-utils)\//;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if ((specifier === 'typescript' || specifier.startsWith('typescript/')) && LINTER.test(context.parentURL ?? '')) {
      return nextResolve(specifier.replace(/^typescript/, 'typescript-6'), context);
    }
    return nextResolve(specifier, context);
  },
});
