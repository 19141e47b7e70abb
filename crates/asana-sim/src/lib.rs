//! A faithful simulated Asana for tests, benchmarks and the demo.
