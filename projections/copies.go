package projections

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// The encoding of a copy's namespace and the rule for which copy is live
// are kept here and nowhere else: stores, the admin and queries call these.

// Namespace is the namespace of copy gen of projection name: "lookup~2".
func Namespace(name string, gen int) string { return name + "~" + strconv.Itoa(gen) }

// ParseNamespace reverses Namespace; ok is false for a namespace that is
// not a numbered copy (a fixed one such as the notice service's).
func ParseNamespace(ns string) (name string, gen int, ok bool) {
	i := strings.LastIndexByte(ns, '~')
	if i < 0 {
		return "", 0, false
	}
	g, err := strconv.Atoi(ns[i+1:])
	return ns[:i], g, err == nil
}

// IsCopy reports whether ns is a numbered copy of a projection.
func IsCopy(ns string) bool {
	_, _, ok := ParseNamespace(ns)
	return ok
}

// Generations says which copy of a projection serves queries and which one
// a rebuild is filling. Copies are numbered from 1; 0 means none.
type Generations struct {
	Live      int
	Building  int
	Owner     string    // the rebuild holding Building
	Heartbeat time.Time // the owner's last sign of life
	Version   int64     // compare-and-swap counter, 0 when never stored
}

// LiveCopy is the copy that serves queries: the first one when the
// projection was never built.
func (g Generations) LiveCopy() int { return max(g.Live, 1) }

// LiveNamespace is the namespace of projection name's live copy.
func (g Generations) LiveNamespace(name string) string { return Namespace(name, g.LiveCopy()) }

// BuildingNamespace is the namespace a rebuild of projection name is
// filling, or "" when none is.
func (g Generations) BuildingNamespace(name string) string {
	if g.Building == 0 {
		return ""
	}
	return Namespace(name, g.Building)
}

// LiveNamespace returns the namespace that serves queries for projection
// name, as the store's pointers say now.
func LiveNamespace(ctx context.Context, copies Copies, name string) (string, error) {
	g, err := copies.Generations(ctx, name)
	if err != nil {
		return "", err
	}
	return g.LiveNamespace(name), nil
}
