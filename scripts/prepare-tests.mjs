// Prepares what the test suite needs beyond npm packages. Filled in as suites need it.
