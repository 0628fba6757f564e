package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vetclinic/clinic/auth"
	"github.com/vetclinic/clinic/notice"
)

// TestPagesWalkAListOnce: following next from the first page gives every
// item once, in order, and the last page has no next.
func TestPagesWalkAListOnce(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	at := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	n := &fakeNotifications{}
	for i := 0; i < 7; i++ {
		n.messages = append(n.messages, notice.Message{ID: fmt.Sprintf("m%d", i), Kind: notice.KindPlaced, Locale: notice.Korean,
			ReservationID: resUUID, To: "010-1234-5678", Text: "예약 확정", Status: notice.StatusSent, CreatedAt: at.Add(-time.Duration(i%3) * time.Minute)})
	}
	notice.SortNewestFirst(n.messages)
	s := notificationsServer(t, a, n)
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	var seen []string
	path := "/api/v1/notifications?limit=3"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("the pages do not end")
		}
		code, _, body := call(t, s, "GET", path, staff, "")
		var r NotificationsResponse
		if code != http.StatusOK || json.Unmarshal(body, &r) != nil {
			t.Fatalf("GET %s = %d %s", path, code, body)
		}
		for _, m := range r.Notifications {
			seen = append(seen, m.ID)
		}
		if r.Next == "" {
			if len(r.Notifications) != 1 {
				t.Errorf("last page holds %d, want 1", len(r.Notifications))
			}
			break
		}
		path = "/api/v1/notifications?limit=3&cursor=" + r.Next
	}
	var want []string
	for _, m := range n.messages {
		want = append(want, m.ID)
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("pages gave %v, want %v", seen, want)
	}
	// The default page is 50, so seven fit and there is no next.
	code, _, body := call(t, s, "GET", "/api/v1/notifications", staff, "")
	var r NotificationsResponse
	if code != 200 || json.Unmarshal(body, &r) != nil || len(r.Notifications) != 7 || r.Next != "" {
		t.Errorf("default page: %d %s", code, body)
	}
}

// TestBadPagesAre400: a limit out of range and a malformed or foreign
// cursor are 400 problems.
func TestBadPagesAre400(t *testing.T) {
	t.Parallel()
	a := newTestAuth(t)
	s := notificationsServer(t, a, &fakeNotifications{})
	staff := a.token(t, "nurse-kim", auth.RoleStaff)
	foreign := encodeCursor("ledger-day|2026-12-01", indexKey(1, "x"))
	otherFilter := encodeCursor("notifications||dead", sortKey(time.Now(), "x"))
	for _, q := range []string{"limit=0", "limit=201", "limit=ten", "limit=-1", "cursor=%25%25", "cursor=bm90LWEtY3Vyc29y",
		"cursor=" + foreign, "status=sent&cursor=" + otherFilter} {
		code, hdr, body := call(t, s, "GET", "/api/v1/notifications?"+q, staff, "")
		if code != http.StatusBadRequest {
			t.Errorf("?%s = %d %s, want 400", q, code, body)
			continue
		}
		if p := decodeProblem(t, hdr, body); p.Type != kindMalformed.uri() {
			t.Errorf("?%s: problem %+v", q, p)
		}
	}
	if code, _, body := call(t, s, "GET", "/api/v1/notifications?limit=200", staff, ""); code != 200 {
		t.Errorf("limit=200: %d %s", code, body)
	}
}

// TestLookupListsArePaged: the customer's list (latest first) and a doctor's
// day (by slot) page through the real lookup projection's documents.
func TestLookupListsArePaged(t *testing.T) {
	t.Parallel()
	const p = "010-1111-2222"
	f := newLookupFixture(t, p, p, p)
	staff := f.auth.token(t, "nurse-kim", auth.RoleStaff)
	customer := f.auth.token(t, p, auth.RoleCustomer)
	walk := func(path, token string, items func([]byte) ([]string, string)) []string {
		t.Helper()
		var all []string
		next := ""
		for i := 0; i < 5; i++ {
			url := path
			if next != "" {
				url += "&cursor=" + next
			}
			code, _, body := call(t, f.h, "GET", url, token, "")
			if code != 200 {
				t.Fatalf("GET %s = %d %s", url, code, body)
			}
			var got []string
			got, next = items(body)
			all = append(all, got...)
			if next == "" {
				return all
			}
		}
		t.Fatalf("%s: the pages do not end", path)
		return nil
	}
	mine := walk("/api/v1/lookup/reservations?limit=2", customer, func(b []byte) ([]string, string) {
		var r reservationsResponse
		_ = json.Unmarshal(b, &r)
		var ids []string
		for _, x := range r.Reservations {
			ids = append(ids, x.Slot.Format("15"))
		}
		return ids, r.Next
	})
	if fmt.Sprint(mine) != "[03 02 01]" {
		t.Errorf("own list by slot hour: %v, want latest first", mine)
	}
	day := walk("/api/v1/doctors/dr-kim/days/2026-12-01/reservations?limit=1", staff, func(b []byte) ([]string, string) {
		var r struct {
			Data []reservationResponse `json:"data"`
			Next string                `json:"next"`
		}
		_ = json.Unmarshal(b, &r)
		var ids []string
		for _, x := range r.Data {
			ids = append(ids, x.Slot.Format("15"))
		}
		return ids, r.Next
	})
	if fmt.Sprint(day) != "[01 02 03]" {
		t.Errorf("day schedule by slot hour: %v", day)
	}
}

// TestAnEmptyPageIsAnEmptyList: a list with nothing in it is [] on the
// wire, as the document's array schemas say, never null.
func TestAnEmptyPageIsAnEmptyList(t *testing.T) {
	t.Parallel()
	out, next := paginate[string](nil, page{limit: 10}, func(s string) string { return s }, false)
	if out == nil || len(out) != 0 || next != "" {
		t.Fatalf("paginate(nil) = %#v, %q", out, next)
	}
}
