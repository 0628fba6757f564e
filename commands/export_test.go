package commands

import "errors"

// Waiting is how many steps wait in stream's queue of h, for tests that
// hold a group's append until the next group has formed.
func Waiting(h *Handler, stream string) int {
	h.groups.mu.Lock()
	defer h.groups.mu.Unlock()
	if q := h.groups.m[stream]; q != nil {
		return len(q.waiting)
	}
	return 0
}

// MaybeAppended reports whether err says its append may have been stored.
func MaybeAppended(err error) bool { return errors.Is(err, errMaybeAppended) }
