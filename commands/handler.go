// Package commands handles the clinic's commands: it loads an aggregate's
// stream, lets the aggregate decide, and appends the new events with the
// expected revision, all on one path (update). Commands that span
// aggregates (placing a reservation books a slot, places the reservation
// and opens its medical record) run their steps in a fixed order with
// deterministic event IDs, so a retry completes a half-finished command
// and never doubles a step. See docs/write-side.md.
package commands

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain/clinic"
	"github.com/vetclinic/clinic/domain/medicalrecord"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/domain/schedule"
)

// DefaultMaxRetries bounds how often a command is re-decided after a
// concurrent update of its stream.
const DefaultMaxRetries = 8

// Options configures a Handler. Zero values mean the defaults.
type Options struct {
	Clock      func() time.Time // default time.Now
	Logger     *slog.Logger     // default discards
	MaxRetries int              // default DefaultMaxRetries
	// CacheSize is how many streams' histories to keep in memory, so that a
	// command on a known stream needs no read; default DefaultCacheSize,
	// negative for none.
	CacheSize int
	// CheckInWindow is how long before its slot a visit can be checked in;
	// default reservation.DefaultCheckInWindow.
	CheckInWindow time.Duration
	// DaysBack and DaysAhead bound the days that can be opened around
	// today; defaults schedule.DefaultDaysBack and DefaultDaysAhead.
	DaysBack, DaysAhead int
	// InvoiceCeiling bounds one invoice's total (minor units of the clinic's
	// currency); default medicalrecord.DefaultCeiling, negative for none.
	InvoiceCeiling int64
	// Tracer, if set, records each command's load, decide and append steps
	// as spans and writes the append span's trace context into the events'
	// metadata.
	Tracer Tracer
}

// withDefaults fills the zero values of o with the defaults.
func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.CheckInWindow <= 0 {
		o.CheckInWindow = reservation.DefaultCheckInWindow
	}
	if o.DaysBack <= 0 {
		o.DaysBack = schedule.DefaultDaysBack
	}
	if o.DaysAhead <= 0 {
		o.DaysAhead = schedule.DefaultDaysAhead
	}
	switch {
	case o.InvoiceCeiling == 0:
		o.InvoiceCeiling = medicalrecord.DefaultCeiling
	case o.InvoiceCeiling < 0:
		o.InvoiceCeiling = 0 // the domain's "no ceiling"
	}
	return o
}

// Handler runs commands against a Store for one clinic. It is safe for
// concurrent use.
type Handler struct {
	store      Store
	clinic     *clinic.Clinic
	now        func() time.Time
	log        *slog.Logger
	maxRetries int
	cache      *cache
	rules      Options // the clinic's rules: check-in window, horizon, ceiling
	tracer     Tracer  // nil: no spans

	// groups queue the updates of one stream within this process and
	// commit them in groups (group.go), so that concurrent commands on a
	// hot stream (a popular doctor's day) share one append instead of
	// failing their expected revision and retrying; other processes are
	// still kept out by the expected revision.
	groups groups
}

// New returns a Handler that writes to store for clinic c.
func New(store Store, c *clinic.Clinic, opts Options) *Handler {
	opts = opts.withDefaults()
	return &Handler{store: store, clinic: c, now: opts.Clock, log: opts.Logger, maxRetries: opts.MaxRetries,
		cache: newCache(opts.CacheSize), rules: opts, tracer: opts.Tracer}
}

// Meta is what every command carries besides its own input.
type Meta struct {
	// By is who gives the command: the caller's JWT subject.
	By string
	// IdempotencyKey, when not empty, makes the command repeatable: a
	// second command with the same key (and the same kind) writes nothing
	// new and returns the first one's result.
	IdempotencyKey string
	// IfMatch, when set, is the revision the caller last saw of the
	// command's target stream; the command fails with ErrStale if the
	// stream has moved on.
	IfMatch *uint64
}

// Result is where a command's writes landed.
type Result struct {
	// Revision is the target stream's revision after the command.
	Revision uint64
	// Position is the $all commit position of the command's last write
	// (or of the target stream's last event when nothing was written); a
	// read model that has reached it reflects the command.
	Position uint64
}

// idempotencyNamespace roots the command IDs derived from idempotency keys.
var idempotencyNamespace = uuid.MustParse("6f0d1f5e-7c0b-4bb0-9a51-3d1c0f3f2a11")

// command is one run of a command: its ID (from which every event ID is
// derived), who gives it, and the furthest position written so far.
type command struct {
	id    uuid.UUID
	keyed bool
	// request is the fingerprint of a keyed command's input, kept in the
	// metadata of every event it appends: a later command with the same key
	// and another input is refused (ErrIdempotencyKeyReused).
	request  string
	by       string
	meta     []byte
	position atomic.Uint64 // steps may run concurrently
}

// begin starts a command of kind on target ("cancel/<reservation id>")
// with input, the command as given: an idempotency key is scoped to kind
// and target (and, by the API, to the caller), so the same key on another
// reservation is another command, and the same key with another input is
// refused.
func (h *Handler) begin(kind string, m Meta, input any) *command {
	c := &command{by: m.By}
	if m.IdempotencyKey != "" {
		c.id = uuid.NewSHA1(idempotencyNamespace, []byte(kind+"\x00"+m.IdempotencyKey))
		c.keyed = true
		c.request = fingerprint(input)
	} else {
		c.id = uuid.New()
	}
	c.meta, _ = json.Marshal(eventMeta{CommandID: c.id, By: m.By, Request: c.request})
	return c
}

// eventMeta is the metadata of every event a command appends.
type eventMeta struct {
	CommandID uuid.UUID `json:"commandId"`
	By        string    `json:"by"`
	// Request is the fingerprint of a keyed command's input.
	Request string `json:"request,omitempty"`
	// TraceParent is the W3C trace context of the span that appended the
	// event, when the command was traced.
	TraceParent string `json:"traceparent,omitempty"`
}

// fingerprint is a short hash of a command's input without its Meta (the
// caller and the key are in the command's ID already, and If-Match does not
// make a request another one). Decoded input is hashed, not bytes on the
// wire, so the same JSON with other spacing or member order is the same
// request.
func fingerprint(input any) string {
	b, err := json.Marshal(input)
	var fields map[string]json.RawMessage
	if err != nil || json.Unmarshal(b, &fields) != nil {
		return ""
	}
	for _, f := range []string{"By", "IdempotencyKey", "IfMatch"} { // Meta's fields, promoted
		delete(fields, f)
	}
	b, _ = json.Marshal(fields) // sorted keys
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// requestOf returns the request fingerprint in an event's metadata ("" for
// none: an event of a command without a key, or from before fingerprints).
func requestOf(metadata []byte) string {
	if !bytes.Contains(metadata, []byte(`"request"`)) {
		return ""
	}
	var m eventMeta
	if json.Unmarshal(metadata, &m) != nil {
		return ""
	}
	return m.Request
}

// eventID is the ID of the i-th event a command appends in step to stream.
func (c *command) eventID(step, stream string, i int) uuid.UUID {
	return uuid.NewSHA1(c.id, []byte(step+"\x00"+stream+"\x00"+strconv.Itoa(i)))
}

func (c *command) saw(position uint64) {
	for {
		cur := c.position.Load()
		if position <= cur || c.position.CompareAndSwap(cur, position) {
			return
		}
	}
}
