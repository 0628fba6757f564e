// Package conformance holds the conformance suite, the crash test and the
// benchmarks of the embedded event store. Every test talks to the server only
// through the official EventStoreDB Go client, so the same cases run against
// the embedded server in the normal test run and against a real
// EventStoreDB/KurrentDB when ESDB_URL is set; expectations follow the real
// server's documented behaviour. The package has no non-test code.
package conformance
