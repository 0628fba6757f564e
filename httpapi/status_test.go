package httpapi

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vetclinic/clinic/domain/reservation"
	"github.com/vetclinic/clinic/statuslink"
)

// testLinks is the signer every status test shares (one key).
func testLinks(t *testing.T) *statuslink.Signer {
	t.Helper()
	s, err := statuslink.New(bytes.Repeat([]byte{9}, statuslink.KeySize), "http://clinic.test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newStatusFixture is the reads fixture with status links, its clock at now.
func newStatusFixture(t *testing.T, now time.Time, expiry time.Duration) (*readsFixture, *statuslink.Signer) {
	t.Helper()
	f := newReadsFixture(t, now)
	links := testLinks(t)
	h := f.h.(*Server)
	cfg := h.cfg
	cfg.StatusLinks, cfg.StatusLinkExpiry = links, expiry
	f.h = New(cfg)
	return f, links
}

func linkToken(t *testing.T, links *statuslink.Signer, id, phone string) string {
	t.Helper()
	tok, err := links.Token(id, phone)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestStatusShowsTheVisitToItsLinkOnly(t *testing.T) {
	t.Parallel()
	// Coco's visit ended 2026-12-01 10:31 KST; a day later the link works.
	f, links := newStatusFixture(t, time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC), 0)
	coco, nabi := f.clinicDay(t)
	tok := linkToken(t, links, coco.res.String(), "010-1234-5678")

	var r StatusResponse
	if code, body := f.get(t, "/api/v1/status/"+tok, "", &r); code != http.StatusOK {
		t.Fatalf("status: %d %s", code, body)
	}
	if r.Status != "completed" || r.Doctor.Name != "Dr. Kim" || r.Pet.Name != "Coco" || r.Clinic != "Happy Paws" ||
		r.SlotLocal != "2026-12-01T10:00:00+09:00" || r.TimeZone != "Asia/Seoul" {
		t.Errorf("visit = %+v", r)
	}
	if r.Care == nil || r.Care.Diagnosis != "otitis externa" || len(r.Care.Treatments) != 1 || len(r.Care.Prescriptions) != 1 ||
		r.Care.Prescriptions[0].Drug != "Amoxicillin" {
		t.Errorf("care = %+v", r.Care)
	}
	if b := r.Bill; b == nil || len(b.Lines) != 1 || b.Subtotal != 30000 || b.Total != 30000 || b.Paid != 20000 ||
		b.Refunded != 10000 || b.Balance != 10000 || len(b.Payments) != 2 || b.Payments[1].Amount != -10000 {
		t.Errorf("bill = %+v", r.Bill)
	}
	var events []string
	for _, e := range r.Timeline {
		events = append(events, e.Event)
	}
	want := "ReservationPlaced ReservationCheckedIn MedicalRecordFinalized InvoiceIssued PaymentRecorded PaymentRefunded ReservationCompleted"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("timeline %s, want %s", got, want)
	}
	if r.LinkExpiresAt == nil || !r.LinkExpiresAt.Equal(time.Date(2026, 12, 1, 1, 31, 0, 0, time.UTC).Add(DefaultStatusLinkExpiry)) {
		t.Errorf("linkExpiresAt = %v", r.LinkExpiresAt)
	}
	// Nothing of the staff's: no names of who did what, no findings, no
	// addenda, no phone number.
	_, body := f.get(t, "/api/v1/status/"+tok, "", nil)
	for _, secret := range []string{"INTERNAL", "nurse-kim", "desk-park", "1234-5678", "Jackson"} {
		if bytes.Contains(body, []byte(secret)) {
			t.Errorf("the customer's answer carries %q: %s", secret, body)
		}
	}

	// The page says the same, in Korean by default and English on request.
	code, hdr, page := call(t, f.h, "GET", "/status/"+tok, "", "")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("page: %d %v", code, hdr)
	}
	for _, want := range []string{`<html lang="ko">`, "진료 완료", "Dr. Kim", "Coco", "otitis externa", "Amoxicillin", "10,000원", "2026년 12월 1일 (화) 오전 10:00"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("Korean page lacks %q", want)
		}
	}
	_, _, en := call(t, f.h, "GET", "/status/"+tok, "", "", "Accept-Language", "en-US,en;q=0.9,ko;q=0.5")
	for _, want := range []string{`<html lang="en">`, "Visit complete", "Still owed", "₩10,000", "Tue 1 Dec 2026, 10:00 AM KST"} {
		if !strings.Contains(string(en), want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	if _, _, ko := call(t, f.h, "GET", "/status/"+tok+"?lang=ko", "", "", "Accept-Language", "en"); !strings.Contains(string(ko), `lang="ko"`) {
		t.Error("?lang=ko does not win over Accept-Language")
	}

	// Nabi's customer's link shows Nabi's visit, not Coco's: booked, no
	// record yet, no bill yet.
	var n StatusResponse
	if code, body := f.get(t, "/api/v1/status/"+linkToken(t, links, nabi.res.String(), "010-9999-0000"), "", &n); code != http.StatusOK {
		t.Fatalf("nabi: %d %s", code, body)
	}
	if n.Pet.Name != "Nabi" || n.Status != "booked" || n.Care != nil || n.Bill != nil || n.LinkExpiresAt != nil {
		t.Errorf("nabi = %+v", n)
	}
}

// TestStatusLinksThatNameNothingLookAlike: a tampered token, another
// reservation's token, one for a phone the reservation does not have, one
// made with another key and garbage all get the same 404, page and JSON.
func TestStatusLinksThatNameNothingLookAlike(t *testing.T) {
	t.Parallel()
	f, links := newStatusFixture(t, time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC), 0)
	coco, nabi := f.clinicDay(t)
	good := linkToken(t, links, coco.res.String(), "010-1234-5678")
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	raw[len(raw)-1] ^= 1
	other, _ := statuslink.New(bytes.Repeat([]byte{1}, statuslink.KeySize), "http://x.test")
	otherTok, _ := other.Token(coco.res.String(), "010-1234-5678")
	bad := map[string]string{
		"tampered":                      base64.RawURLEncoding.EncodeToString(raw),
		"Coco's phone on Nabi's visit":  linkToken(t, links, nabi.res.String(), "010-1234-5678"),
		"another number on Coco's":      linkToken(t, links, coco.res.String(), "010-9999-0000"),
		"another clinic's key":          otherTok,
		"garbage":                       "not-a-token",
		"an unknown reservation's link": linkToken(t, links, "7f1c3a8e-0000-4000-8000-00000000abcd", "010-1234-5678"),
	}
	var firstJSON, firstPage []byte
	for name, tok := range bad {
		code, _, body := call(t, f.h, "GET", "/api/v1/status/"+tok, "", "")
		if code != http.StatusNotFound {
			t.Errorf("%s: JSON %d %s", name, code, body)
		}
		body = bytes.ReplaceAll(body, []byte(tok), nil) // the instance names the path
		pcode, _, page := call(t, f.h, "GET", "/status/"+tok, "", "")
		if pcode != http.StatusNotFound || bytes.Contains(page, []byte("Coco")) || bytes.Contains(page, []byte("Nabi")) {
			t.Errorf("%s: page %d shows a visit", name, pcode)
		}
		if firstJSON == nil {
			firstJSON, firstPage = body, page
		} else if !bytes.Equal(body, firstJSON) || !bytes.Equal(page, firstPage) {
			t.Errorf("%s: the answer differs from another link's that names nothing", name)
		}
	}
}

func TestStatusLinkStopsWhenThePhoneChangesAndAfterTheExpiry(t *testing.T) {
	t.Parallel()
	// Three days after Coco's visit ended, with links that last two.
	f, links := newStatusFixture(t, time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC), 48*time.Hour)
	coco, nabi := f.clinicDay(t)
	code, _, body := call(t, f.h, "GET", "/api/v1/status/"+linkToken(t, links, coco.res.String(), "010-1234-5678"), "", "")
	if code != http.StatusGone || !bytes.Contains(body, []byte("/problems/link-expired")) {
		t.Errorf("expired link: %d %s", code, body)
	}
	pcode, _, page := call(t, f.h, "GET", "/status/"+linkToken(t, links, coco.res.String(), "010-1234-5678"), "", "")
	if pcode != http.StatusGone || bytes.Contains(page, []byte("Coco")) || !bytes.Contains(page, []byte("만료된 링크")) {
		t.Errorf("expired page: %d %s", pcode, page)
	}

	// Nabi is still booked, so her link works however old; until the
	// desk corrects the phone on the reservation.
	nabiTok := linkToken(t, links, nabi.res.String(), "010-9999-0000")
	if code, _ := f.get(t, "/api/v1/status/"+nabiTok, "", nil); code != http.StatusOK {
		t.Fatalf("nabi before the correction: %d", code)
	}
	v := reservation.Visit{ReservationID: nabi.res, MedicalRecordID: nabi.rec, Customer: reservation.Customer{Name: "Park Jimin", Phone: "010-5555-0000"},
		Pet: reservation.Pet{Name: "Nabi", Species: "cat"}, DoctorID: "dr-lee", Slot: time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC),
		Status: reservation.StatusBooked, At: time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)}
	f.add(t, reservation.Stream(nabi.res), "nurse-kim", reservation.DetailsCorrected{Visit: v})
	f.sync(t)
	if code, body := f.get(t, "/api/v1/status/"+nabiTok, "", nil); code != http.StatusNotFound {
		t.Errorf("the old phone's link after the correction: %d %s", code, body)
	}
	if code, body := f.get(t, "/api/v1/status/"+linkToken(t, links, nabi.res.String(), "010-5555-0000"), "", nil); code != http.StatusOK {
		t.Errorf("the new phone's link: %d %s", code, body)
	}
}

func TestStatusHomeAndWords(t *testing.T) {
	t.Parallel()
	s := everyPartServer(t, newTestAuth(t))
	code, _, page := call(t, s, "GET", "/status/", "", "")
	if code != http.StatusOK || !bytes.Contains(page, []byte(statusWords["ko"]["homeMessage"])) {
		t.Errorf("home: %d %s", code, page)
	}
	for key := range statusWords["ko"] {
		if _, ok := statusWords["en"][key]; !ok {
			t.Errorf("English lacks %q", key)
		}
	}
	for key := range statusWords["en"] {
		if _, ok := statusWords["ko"][key]; !ok {
			t.Errorf("Korean lacks %q", key)
		}
	}
}
