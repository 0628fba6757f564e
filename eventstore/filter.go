package eventstore

import (
	"regexp"
	"strings"
)

// filter is a server-side filter of $all on stream names or event types.
type filter struct {
	onType   bool
	prefixes []string
	re       *regexp.Regexp
	interval int // events scanned between checkpoints
}

func (f *filter) match(v recordView) bool {
	s := v.stream
	if f.onType {
		s = v.eventType
	}
	if f.re != nil && !f.re.Match(s) {
		return false
	}
	if len(f.prefixes) == 0 {
		return true
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(string(s), p) {
			return true
		}
	}
	return false
}
