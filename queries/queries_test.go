package queries_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/lookup"
	"github.com/vetclinic/clinic/projections/projectionstest"
	"github.com/vetclinic/clinic/queries"
)

var seoul, _ = time.LoadLocation("Asia/Seoul")

type fixture struct {
	src   *projectionstest.MemorySource
	store *bolt.Store
	svc   *queries.Service
	last  projections.Event
}

func (f *fixture) place(t *testing.T, phone, doctor string, slot time.Time) uuid.UUID {
	t.Helper()
	id := uuid.New()
	e := reservation.Placed{Visit: reservation.Visit{ReservationID: id, MedicalRecordID: reservation.MedicalRecordID(id),
		Customer: reservation.Customer{Name: "n", Phone: phone}, Pet: reservation.Pet{Name: "Coco", Species: "dog"},
		DoctorID: doctor, Slot: slot, Status: reservation.StatusBooked, At: slot.Add(-time.Hour)}}
	f.last = appendEvent(t, f.src, reservation.Stream(id), e)
	return id
}

func appendEvent(t *testing.T, src *projectionstest.MemorySource, stream string, e domain.Event) projections.Event {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return src.Append(stream, e.EventType(), b)
}

// sync runs the lookup projection until it has folded everything appended.
func (f *fixture) sync(t *testing.T) {
	t.Helper()
	reached := make(chan struct{}, 1)
	r := &projections.Runner{Source: f.src, Store: f.store, Subscriber: lookup.Subscriber(seoul),
		Namespace: projections.Namespace(lookup.Name, 1),
		OnCaughtUp: func(cp projections.Checkpoint) {
			if !cp.Position.Less(f.last.Position) {
				select {
				case reached <- struct{}{}:
				default:
				}
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	select {
	case <-reached:
	case <-time.After(10 * time.Second):
		t.Fatal("lookup did not catch up")
	}
	cancel()
	<-done
}

func newFixture(t *testing.T, o queries.Options) *fixture {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "read.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &fixture{src: projectionstest.NewMemorySource(), store: s, svc: queries.New(s, o)}
}

var slot = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)

func TestCustomersSeeOnlyTheirOwnReservations(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queries.Options{})
	mine := f.place(t, "010-1111-2222", "dr-kim", slot)
	mine2 := f.place(t, "01011112222", "dr-lee", slot.Add(24*time.Hour))
	theirs := f.place(t, "+82 10 3333 4444", "dr-kim", slot.Add(time.Hour))
	f.sync(t)
	ctx := context.Background()
	me := queries.Viewer{Phone: "+82 10 1111 2222"}

	if r, _, err := f.svc.Reservation(ctx, me, mine.String(), 0); err != nil || r.ID != mine.String() {
		t.Errorf("own reservation by id = %v, %v", r.ID, err)
	}
	for name, tc := range map[string]struct {
		v  queries.Viewer
		id string
	}{
		"another's by id":                 {me, theirs.String()},
		"a guessed id":                    {me, uuid.NewString()},
		"not a uuid":                      {me, "../../etc"},
		"another's with my phone claimed": {queries.Viewer{ClaimedPhone: "010-1111-2222"}, theirs.String()},
		"another's with a wrong claim":    {queries.Viewer{ClaimedPhone: "010-9999-9999"}, theirs.String()},
		"no credentials at all":           {queries.Viewer{}, theirs.String()},
		"an empty phone matches nothing":  {queries.Viewer{Phone: " - "}, mine.String()},
	} {
		if _, _, err := f.svc.Reservation(ctx, tc.v, tc.id, 0); !errors.Is(err, queries.ErrNotFound) {
			t.Errorf("%s: err %v, want ErrNotFound", name, err)
		}
	}
	if _, _, err := f.svc.Reservation(ctx, queries.Viewer{ClaimedPhone: "010 3333 4444"}, theirs.String(), 0); err != nil {
		t.Errorf("id with the phone it was booked with: %v", err)
	}

	list, pos, err := f.svc.Reservations(ctx, me, me.Phone, 0)
	if err != nil || len(list) != 2 || list[0].ID != mine2.String() || list[1].ID != mine.String() {
		t.Errorf("own list = %+v, %v; want mine2 then mine", list, err)
	}
	if pos != f.last.Position.Commit {
		t.Errorf("view position %d, want %d", pos, f.last.Position.Commit)
	}
	if list, _, err := f.svc.Reservations(ctx, me, "010-3333-4444", 0); err != nil || len(list) != 0 {
		t.Errorf("listing another's number = %d items, %v; want none", len(list), err)
	}
	if list, _, _ := f.svc.Reservations(ctx, queries.Viewer{Staff: true}, "010-3333-4444", 0); len(list) != 1 {
		t.Errorf("staff listing = %d items, want 1", len(list))
	}
	if r, _, err := f.svc.Reservation(ctx, queries.Viewer{Staff: true}, theirs.String(), 0); err != nil || r.ID != theirs.String() {
		t.Errorf("staff by id = %v, %v", r.ID, err)
	}
	day, _, err := f.svc.DaySchedule(ctx, "dr-kim", "2026-12-01", 0)
	if err != nil || len(day) != 2 || day[0].ID != mine.String() || day[1].ID != theirs.String() {
		t.Errorf("dr-kim's day = %+v, %v", day, err)
	}
}

func TestMinPositionWaitsForTheView(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queries.Options{MaxWait: 50 * time.Millisecond})
	f.place(t, "010-1111-2222", "dr-kim", slot)
	f.sync(t)
	ctx := context.Background()
	id := f.place(t, "010-1111-2222", "dr-kim", slot.Add(time.Hour))
	want := f.last.Position.Commit
	if _, _, err := f.svc.Reservation(ctx, queries.Viewer{Staff: true}, id.String(), want); !errors.Is(err, queries.ErrBehind) {
		t.Fatalf("before the projection ran: %v, want ErrBehind", err)
	}

	slow := queries.New(f.store, queries.Options{MaxWait: 10 * time.Second})
	type result struct {
		pos uint64
		err error
	}
	got := make(chan result, 1)
	go func() {
		_, pos, err := slow.Reservation(ctx, queries.Viewer{Staff: true}, id.String(), want)
		got <- result{pos, err}
	}()
	f.sync(t)
	if r := <-got; r.err != nil || r.pos < want {
		t.Fatalf("after catching up: position %d, %v; want >= %d", r.pos, r.err, want)
	}
}

// newPendingFixture is a fixture whose reads ask its source, as the query
// role asks $all, whether events up to minPosition concern the view.
func newPendingFixture(t *testing.T) *fixture {
	var f *fixture
	f = newFixture(t, queries.Options{MaxWait: 20 * time.Millisecond,
		Pending: func(ctx context.Context, name string, from projections.Position, upTo uint64) (bool, error) {
			return f.src.AnyUpTo(ctx, from, upTo, projections.ClinicFilter())
		}})
	return f
}

// TestMinPositionPastEventsTheViewIgnores: a view whose checkpoint is behind
// minPosition only because later events do not concern it is complete.
func TestMinPositionPastEventsTheViewIgnores(t *testing.T) {
	t.Parallel()
	f := newPendingFixture(t)
	id := f.place(t, "010-1111-2222", "dr-kim", slot)
	f.sync(t)
	other := f.src.Append("elsewhere-1", "Unrelated", []byte(`{}`))
	_, pos, err := f.svc.Reservation(context.Background(), queries.Viewer{Staff: true}, id.String(), other.Position.Commit)
	if err != nil || pos != other.Position.Commit {
		t.Errorf("view position %d, %v; want %d at once", pos, err, other.Position.Commit)
	}
	f.place(t, "010-1111-2222", "dr-kim", slot.Add(time.Hour)) // one it would show: wait for it
	if _, _, err := f.svc.Reservation(context.Background(), queries.Viewer{Staff: true}, id.String(), f.last.Position.Commit); !errors.Is(err, queries.ErrBehind) {
		t.Errorf("with an unseen reservation pending: %v, want ErrBehind", err)
	}
}

// TestMinPositionWaitIsBoundedWhenTheEventStoreHangs: asking $all whether
// anything is pending counts towards the wait's bound.
func TestMinPositionWaitIsBoundedWhenTheEventStoreHangs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queries.Options{MaxWait: 20 * time.Millisecond,
		Pending: func(ctx context.Context, name string, from projections.Position, upTo uint64) (bool, error) {
			<-ctx.Done() // an event store that never answers
			return false, ctx.Err()
		}})
	id := f.place(t, "010-1111-2222", "dr-kim", slot)
	f.sync(t)
	f.place(t, "010-1111-2222", "dr-kim", slot.Add(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := f.svc.Reservation(ctx, queries.Viewer{Staff: true}, id.String(), f.last.Position.Commit); !errors.Is(err, queries.ErrBehind) {
		t.Errorf("with the event store hanging: %v, want ErrBehind within the wait's bound", err)
	}
}

// TestMinPositionBeyondTheHeadIsBehind: a position $all has not reached is
// not one the view has seen, however little of $all concerns it: the wait
// runs out and the answer is ErrBehind with the view's real position.
func TestMinPositionBeyondTheHeadIsBehind(t *testing.T) {
	t.Parallel()
	f := newPendingFixture(t)
	id := f.place(t, "010-1111-2222", "dr-kim", slot)
	f.sync(t)
	for _, minPos := range []uint64{f.last.Position.Commit + 1, math.MaxUint64} {
		_, pos, err := f.svc.Reservation(context.Background(), queries.Viewer{Staff: true}, id.String(), minPos)
		if !errors.Is(err, queries.ErrBehind) || pos != f.last.Position.Commit {
			t.Errorf("minPosition %d beyond the head %d: position %d, %v; want ErrBehind at %d", minPos, f.last.Position.Commit, pos, err, f.last.Position.Commit)
		}
	}
}

// TestMinPositionWithTheEventStoreDown: an outage of $all while telling
// whether the view is complete comes back as the source's unavailability.
func TestMinPositionWithTheEventStoreDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, queries.Options{MaxWait: time.Second,
		Pending: func(context.Context, string, projections.Position, uint64) (bool, error) {
			return false, fmt.Errorf("read $all: %w", projections.ErrSourceUnavailable)
		}})
	id := f.place(t, "010-1111-2222", "dr-kim", slot)
	f.sync(t)
	if _, _, err := f.svc.Reservation(context.Background(), queries.Viewer{Staff: true}, id.String(), f.last.Position.Commit+10); !errors.Is(err, projections.ErrSourceUnavailable) {
		t.Errorf("with $all down: %v, want ErrSourceUnavailable", err)
	}
}
