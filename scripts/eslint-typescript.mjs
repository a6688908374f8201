// typescript-eslint parses with the TypeScript compiler API, which TypeScript 7 (the
// native compiler this project builds with) does not ship. The linter therefore parses
// with TypeScript 6 (the devDependency `typescript-6`): this hook sends the linter's
// `typescript` imports there and leaves everyone else's alone. Delete it, the alias and
// the `overrides` entry in package.json once typescript-eslint supports TypeScript 7.
import * as nodeModule from 'node:module';

const { registerHooks } = nodeModule;
if (typeof registerHooks !== 'function') {
  throw new Error(`lint needs Node 22.15 or newer (this is ${process.version}): run it as \`npm run lint\`, which uses the project's Node 24`);
}

const LINTER = /\/node_modules\/(?:@typescript-eslint\/[^/]+|typescript-eslint|ts-api-utils)\//;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if ((specifier === 'typescript' || specifier.startsWith('typescript/')) && LINTER.test(context.parentURL ?? '')) {
      return nextResolve(specifier.replace(/^typescript/, 'typescript-6'), context);
    }
    return nextResolve(specifier, context);
  },
});
