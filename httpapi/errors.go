package httpapi

// errorKind maps a domain or store sentinel to its problem kind.
type errorKind struct {
	err  error
	kind problemKind
}

// errorKinds is the table writeError consults, first match wins.
func errorKinds() []errorKind {
	return nil
}

// domainFields returns the failing fields of a domain validation error, or
// nil when err is not one.
func domainFields(err error) []fieldError {
	return nil
}

// allKinds lists every problem kind, for the /problems pages.
func allKinds() []problemKind {
	ks := []problemKind{kindMalformed, kindUnauthenticated, kindForbidden, kindNotFound, kindMethod, kindTooLarge,
		kindMediaType, kindStale, kindValidation, kindUnavailable, kindInternal}
	for _, m := range errorKinds() {
		ks = append(ks, m.kind)
	}
	return ks
}
