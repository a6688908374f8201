// The sample workflow lives with the catalog, so benchmarks feed the same messages as the tests.
export { trackingChain, type WorkflowStep as Step } from '../../../src/core/catalog/sample-workflow.js';
