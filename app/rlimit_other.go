//go:build !unix

package app

// fileLimit is unknown here: DefaultMaxConnections uses its fixed bound.
func fileLimit() (uint64, bool) { return 0, false }
