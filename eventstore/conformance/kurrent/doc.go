// Package kurrent runs the client-neutral conformance cases
// (conformance/conformancetest) through the KurrentDB Go client, against the
// embedded server or, when ESDB_URL is set, a real one. It is a package of
// its own because the KurrentDB and the EventStoreDB v4 clients cannot be
// linked into one program: their generated protobuf packages register the
// same names. The package has no non-test code.
package kurrent
