package projections_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/schedule"
	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/projectionstest"
)

// closures is a test read model built with FoldInto: per doctor, the days
// closed.
type closures struct {
	ID       string   `json:"id"`
	Days     []string `json:"days"`
	Position uint64   `json:"position"`
}

func (c *closures) IndexKeys() map[string]string { return nil }

func (c *closures) Stamp(id string, ev projections.Event) { c.ID, c.Position = id, ev.Position.Commit }

func foldClosures(e domain.Event) (string, func(*closures, projections.Event)) {
	if e, ok := e.(schedule.DayClosed); ok {
		return e.DoctorID, func(c *closures, _ projections.Event) { c.Days = append(c.Days, e.Date) }
	}
	return "", nil
}

// TestFoldIntoFoldsStampsAndSkips runs a FoldInto read model over known,
// unfolded, unknown and undecodable events, then delivers them all again:
// each known event is folded once and stamped, the others change nothing,
// and only the undecodable one is parked.
func TestFoldIntoFoldsStampsAndSkips(t *testing.T) {
	t.Parallel()
	src, store := projectionstest.NewMemorySource(), openStore(t)
	closed := func(doctor, date string) projections.Event {
		b, err := json.Marshal(schedule.DayClosed{DoctorID: doctor, Date: date})
		if err != nil {
			t.Fatal(err)
		}
		return src.Append(schedule.Stream(doctor, date), schedule.TypeDayClosed, b)
	}
	closed("dr-kim", "2026-12-01")
	src.Append("schedule-dr-kim-2026-12-02", schedule.TypeDayOpened, []byte(`{"doctorId":"dr-kim"}`)) // known, not folded
	src.Append("schedule-dr-kim-2026-12-03", "SomethingNewer", []byte(`{}`))                          // unknown: skipped
	bad := src.Append("schedule-dr-kim-2026-12-04", schedule.TypeDayClosed, []byte(`{"date":`))       // undecodable: parked
	lee := closed("dr-lee", "2026-12-01")
	last := closed("dr-kim", "2026-12-05")

	sub := projections.Subscriber{Name: "closures", Filter: projections.Filter{StreamPrefixes: []string{schedule.StreamPrefix}},
		Decode: projections.DecodeAhead, Handle: projections.FoldInto("closures", foldClosures)}
	ctx := context.Background()
	read := func() map[string]closures {
		t.Helper()
		out := map[string]closures{}
		for _, id := range []string{"dr-kim", "dr-lee"} {
			d, ok, err := store.Get(ctx, "closures~1", "closures", id)
			if err != nil || !ok {
				t.Fatalf("%s: ok %v, err %v", id, ok, err)
			}
			var c closures
			if err := json.Unmarshal(d.Body, &c); err != nil {
				t.Fatal(err)
			}
			out[id] = c
		}
		return out
	}
	r := projectionstest.Start(t, src, store, sub, 2)
	r.WaitFor(t, last.Position)
	r.Stop()
	want := map[string]closures{
		"dr-kim": {ID: "dr-kim", Days: []string{"2026-12-01", "2026-12-05"}, Position: last.Position.Commit},
		"dr-lee": {ID: "dr-lee", Days: []string{"2026-12-01"}, Position: lee.Position.Commit},
	}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	if err := store.Commit(ctx, "closures~1", nil, &projections.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	r = projectionstest.Start(t, src, store, sub, 3)
	r.WaitFor(t, last.Position)
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Errorf("redelivery changed the documents (-want +got):\n%s", diff)
	}
	parked, err := store.ParkedEvents(ctx, "closures")
	if err != nil || len(parked) != 1 || parked[0].Event.ID != bad.ID {
		t.Errorf("parked %+v, %v; want only the undecodable event", parked, err)
	}
}
