package auth

import (
	"slices"
	"sync"
	"time"
)

// Bounds of the cache of verified tokens.
const (
	cacheTTL  = time.Minute // a key withdrawn from the JWKS stops working within this
	cacheSize = 10_000      // tokens; the cache is emptied when full
)

// verified remembers tokens that passed verification, so a client sending
// the same token again is not charged a signature check and a claims parse
// per request (a fifth of the CPU of a booking). Only the exact same bytes
// hit; an entry ends at the token's expiry or after cacheTTL, whichever is
// first.
type verified struct {
	mu      sync.RWMutex
	entries map[string]verifiedEntry
}

type verifiedEntry struct {
	p     Principal
	until time.Time
}

func (c *verified) get(token string, now time.Time) (Principal, bool) {
	c.mu.RLock()
	e, ok := c.entries[token]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return Principal{}, false
	}
	e.p.Roles = slices.Clone(e.p.Roles) // callers may not share the cached slice
	return e.p, true
}

func (c *verified) put(token string, p Principal, exp, now time.Time) {
	until := now.Add(cacheTTL)
	if exp.Before(until) {
		until = exp
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= cacheSize {
		c.entries = make(map[string]verifiedEntry)
	}
	c.entries[token] = verifiedEntry{p: p, until: until}
}
