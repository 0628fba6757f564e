package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vetclinic/clinic/internal/browsertest"
)

// noticeLinkRE finds the status link in a notice log line of a reservation.
var noticeLinkRE = regexp.MustCompile(`msg=notice .*reservation=(\S+) .*?(http://[^\s"\\]+/status/[A-Za-z0-9_-]{44})`)

// linkFromLog waits for the notice log to carry a message about
// reservation id, and returns the status link in it.
func linkFromLog(t *testing.T, p *clinicProcess, id string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(p.log.String(), "\n") {
			if m := noticeLinkRE.FindStringSubmatch(line); m != nil && m[1] == id {
				return m[2]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no notice with a status link for reservation %s in the log", id)
	return ""
}

// waitStatus polls the JSON of a status link until ready says the read
// side has caught up, and returns the last HTTP status.
func waitStatus(t *testing.T, link string, ready func(code int, body string) bool) {
	t.Helper()
	api := strings.Replace(link, "/status/", "/api/v1/status/", 1)
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, body := sendJSON(t, http.DefaultClient, api, "GET", "", "", nil)
		if ready(code, string(body)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d %s", api, code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// open navigates the tab to url and returns the answer's HTTP status and
// the text of the page's main element.
func open(t *testing.T, tab context.Context, url string) (int64, string) {
	t.Helper()
	resp, err := chromedp.Run(tab, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.Status, text
}

// TestCustomerOpensTheLinkOfTheirMessage: on a started clinic, the desk
// books three visits through the API; each customer's link, taken from the
// notice the clinic logged, opens their own visit in a real browser with
// its status and bill, and nobody else's; a cancelled visit's link expires
// (--status-link-expiry 3s) and a tampered link shows nothing.
func TestCustomerOpensTheLinkOfTheirMessage(t *testing.T) {
	t.Parallel()
	b := browsertest.Start(t)
	p := startClinic(t, "--roles", "command,query,projector,notice", "--check-in-window", "720h", "--status-link-expiry", "3s")
	api := newContractClient(t, p.base)
	desk, vet := p.token(t, "reception", "nurse-kim"), p.token(t, "vet", "dr-kim")

	var doctors doctorsList
	api.must(t, 200, "GET", "/api/v1/doctors", desk, nil, &doctors)
	doctor, day, _ := clinicDays(t, doctors)
	api.must(t, 200, "PUT", "/api/v1/doctors/"+doctor+"/days/"+day, desk, map[string]any{"opens": "09:00", "closes": "12:00", "slotMinutes": 30, "capacity": 1}, nil)
	book := func(name, phone, pet, species, at string) (id, record string) {
		var placed struct {
			ID              string `json:"id"`
			MedicalRecordID string `json:"medicalRecordId"`
		}
		api.must(t, 201, "POST", "/api/v1/reservations", desk, map[string]any{"customer": map[string]string{"name": name, "phone": phone},
			"pet": map[string]string{"name": pet, "species": species}, "doctorId": doctor, "slot": day + "T" + at + ":00+09:00", "reason": "vaccination"}, &placed)
		return placed.ID, placed.MedicalRecordID
	}
	coco, cocoRec := book("Jackson", "010-1234-5678", "Coco", "dog", "10:00")
	nabi, _ := book("Park", "010-9999-0000", "Nabi", "cat", "10:30")
	bori, _ := book("Choi", "010-7777-0000", "Bori", "rabbit", "11:00")

	// Coco is checked in, seen, billed and partly paid.
	api.must(t, 200, "POST", "/api/v1/reservations/"+coco+"/check-in", desk, nil, nil)
	rec := "/api/v1/medical-records/" + cocoRec
	api.must(t, 200, "POST", rec+"/diagnosis", vet, map[string]any{"findings": "INTERNAL: ear canal red", "diagnosis": "otitis externa"}, nil)
	api.must(t, 200, "POST", rec+"/treatments", vet, map[string]any{"items": []map[string]any{{"code": "CONSULT", "quantity": 1}, {"code": "XRAY", "quantity": 1}}}, nil)
	api.must(t, 200, "POST", rec+"/prescriptions", vet, map[string]any{"items": []map[string]any{{"drug": "Otomax", "dosage": "4 drops", "frequency": "twice daily", "days": 7}}}, nil)
	var fin struct {
		InvoiceID string `json:"invoiceId"`
	}
	api.must(t, 200, "POST", rec+"/finalize", vet, nil, &fin)
	api.must(t, 200, "POST", "/api/v1/invoices/"+fin.InvoiceID+"/payments", desk, map[string]any{"amount": 20000, "currency": "KRW", "method": "card"}, nil)
	// Bori's visit is cancelled: done, so her link expires 3 s later.
	api.must(t, 200, "POST", "/api/v1/reservations/"+bori+"/cancel", desk, map[string]any{"reason": "owner asked"}, nil)

	cocoLink, nabiLink, boriLink := linkFromLog(t, p, coco), linkFromLog(t, p, nabi), linkFromLog(t, p, bori)
	if !strings.HasPrefix(cocoLink, p.base+"/status/") {
		t.Fatalf("the link %s does not start with the clinic's address %s", cocoLink, p.base)
	}
	waitStatus(t, cocoLink, func(code int, body string) bool { return code == 200 && strings.Contains(body, `"payments":[{`) })
	waitStatus(t, nabiLink, func(code int, _ string) bool { return code == 200 })

	// Coco's owner, on a phone, in Korean (the default).
	ko := b.Tab(t)
	if err := chromedp.Do(ko, browsertest.Phone()); err != nil {
		t.Fatal(err)
	}
	code, text := open(t, ko, cocoLink)
	if code != 200 {
		t.Fatalf("Coco's link: %d", code)
	}
	for _, want := range []string{"Coco", "접수됨", "otitis externa", "Otomax", "남은 금액", "결제한 금액", "20,000원", "변경 내역"} {
		if !strings.Contains(text, want) {
			t.Errorf("Coco's page lacks %q:\n%s", want, text)
		}
	}
	for _, never := range []string{"INTERNAL", "nurse-kim", "dr-kim", "1234-5678", "Nabi", "Bori"} {
		if strings.Contains(text, never) {
			t.Errorf("Coco's page shows %q", never)
		}
	}
	if balance, err := chromedp.Run(ko, chromedp.Text(chromedp.ID("balance"))); err != nil || balance == "0원" {
		t.Errorf("still owed: %q, %v", balance, err)
	}
	lang, _ := chromedp.Run(ko, chromedp.Evaluate[string]("document.documentElement.lang"))
	width, _ := chromedp.Run(ko, chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
	if lang != "ko" || width > 390 {
		t.Errorf("lang %q, page width %d on a 390 px phone (want ko, no sideways scrolling)", lang, width)
	}
	browsertest.Screenshot(t, ko, "status-ko-phone")

	// The same link in English, for a browser that asks for it.
	en := b.Tab(t, browsertest.AcceptLanguage("en-US,en"))
	if err := chromedp.Do(en, browsertest.Phone()); err != nil {
		t.Fatal(err)
	}
	if code, text := open(t, en, cocoLink); code != 200 || !strings.Contains(text, "Checked in") || !strings.Contains(text, "Still owed") {
		t.Errorf("Coco's page in English: %d\n%s", code, text)
	}
	browsertest.Screenshot(t, en, "status-en-phone")

	// Nabi's owner, in their own browser, sees Nabi and nothing of Coco.
	other := b.Tab(t)
	if code, text := open(t, other, nabiLink); code != 200 || !strings.Contains(text, "Nabi") || !strings.Contains(text, "예약됨") ||
		strings.Contains(text, "Coco") || strings.Contains(text, "otitis") {
		t.Errorf("Nabi's page: %d\n%s", code, text)
	}

	// A tampered link and an expired one show nothing of anyone's visit.
	last := cocoLink[len(cocoLink)-1]
	tampered := cocoLink[:len(cocoLink)-1] + map[bool]string{true: "A", false: "B"}[last != 'A']
	if code, text := open(t, other, tampered); code != 404 || strings.Contains(text, "Coco") || !strings.Contains(text, "찾을 수 없습니다") {
		t.Errorf("tampered link: %d\n%s", code, text)
	}
	waitStatus(t, boriLink, func(code int, _ string) bool { return code == http.StatusGone })
	if code, text := open(t, other, boriLink); code != 410 || strings.Contains(text, "Bori") || !strings.Contains(text, "만료") {
		t.Errorf("expired link: %d\n%s", code, text)
	}
}
