package esdb

import (
	"errors"
	"sync"
	"time"
)

// errStalled marks a call that got no answer for StallTimeout while no
// other call got one either.
var errStalled = errors.New("the event store answered no call for a while: taken for down")

// watchStall returns a channel that closes once a call started at start
// has waited StallTimeout with no call of the store answered since start
// (the store is frozen, not just slow for this call), and a stop function.
// While other calls are answered it keeps watching, from the last answer.
func (s *Store) watchStall(start time.Time) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	var mu sync.Mutex
	var t *time.Timer
	stopped := false
	var check func()
	check = func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		last := time.Unix(0, s.lastAnswer.Load())
		if !last.After(start) {
			close(ch)
			stopped = true
			return
		}
		// Another call was answered meanwhile: the store lives. Look
		// again once it has been quiet for StallTimeout.
		t = time.AfterFunc(max(time.Until(last.Add(s.opts.StallTimeout)), time.Millisecond), check)
	}
	mu.Lock()
	t = time.AfterFunc(s.opts.StallTimeout, check)
	mu.Unlock()
	return ch, func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
	}
}
