package notice

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func seoul(t *testing.T) *time.Location {
	t.Helper()
	z, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestRender(t *testing.T) {
	t.Parallel()
	r, err := NewRenderer(seoul(t))
	if err != nil {
		t.Fatal(err)
	}
	// 01:00 UTC is 10:00 in Seoul; 05:30 UTC is 14:30.
	slot := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	old := time.Date(2026, 11, 30, 5, 30, 0, 0, time.UTC)
	base := Facts{Clinic: "행복동물병원", Pet: "Coco", Slot: slot}
	with := func(k Kind, f func(*Facts)) Facts {
		x := base
		x.Kind = k
		if f != nil {
			f(&x)
		}
		return x
	}
	tests := []struct {
		name   string
		locale Locale
		facts  Facts
		want   string
	}{
		{"placed ko", Korean, with(KindPlaced, nil),
			"[행복동물병원] 진료 예약이 확정되었습니다.\n반려동물: Coco\n일시: 2026년 12월 1일 (화) 오전 10:00"},
		{"placed default locale", "", with(KindPlaced, nil),
			"[행복동물병원] 진료 예약이 확정되었습니다.\n반려동물: Coco\n일시: 2026년 12월 1일 (화) 오전 10:00"},
		{"placed en", English, with(KindPlaced, nil),
			"[행복동물병원] Your appointment is confirmed.\nPet: Coco\nWhen: Tue 1 Dec 2026, 10:00 AM KST"},
		{"rescheduled ko", Korean, with(KindRescheduled, func(f *Facts) { f.OldSlot = old }),
			"[행복동물병원] 진료 예약이 변경되었습니다.\n반려동물: Coco\n변경 전: 2026년 11월 30일 (월) 오후 2:30\n변경 후: 2026년 12월 1일 (화) 오전 10:00"},
		{"rescheduled en", English, with(KindRescheduled, func(f *Facts) { f.OldSlot = old }),
			"[행복동물병원] Your appointment has been moved.\nPet: Coco\nWas: Mon 30 Nov 2026, 2:30 PM KST\nNow: Tue 1 Dec 2026, 10:00 AM KST"},
		{"cancelled ko with reason", Korean, with(KindCancelled, func(f *Facts) { f.Reason = "보호자 요청" }),
			"[행복동물병원] 진료 예약이 취소되었습니다.\n반려동물: Coco\n일시: 2026년 12월 1일 (화) 오전 10:00\n사유: 보호자 요청"},
		{"cancelled en without reason", English, with(KindCancelled, nil),
			"[행복동물병원] Your appointment has been cancelled.\nPet: Coco\nWhen: Tue 1 Dec 2026, 10:00 AM KST"},
		{"checked in ko", Korean, with(KindCheckedIn, nil),
			"[행복동물병원] 접수되었습니다. 잠시만 기다려 주세요.\n반려동물: Coco"},
		{"checked in en", English, with(KindCheckedIn, nil),
			"[행복동물병원] You are checked in. Please wait to be called.\nPet: Coco"},
		{"completed ko", Korean, with(KindCompleted, nil),
			"[행복동물병원] 진료가 완료되었습니다. 방문해 주셔서 감사합니다.\n반려동물: Coco"},
		{"completed en", English, with(KindCompleted, nil),
			"[행복동물병원] The visit is complete. Thank you for coming.\nPet: Coco"},
		{"no-show ko", Korean, with(KindNoShow, nil),
			"[행복동물병원] 예약 시간에 방문하지 않으셔서 예약이 미방문 처리되었습니다.\n반려동물: Coco\n일시: 2026년 12월 1일 (화) 오전 10:00"},
		{"no-show en", English, with(KindNoShow, nil),
			"[행복동물병원] We missed you: the appointment was recorded as not attended.\nPet: Coco\nWhen: Tue 1 Dec 2026, 10:00 AM KST"},
		{"invoice ko KRW", Korean, with(KindInvoiceIssued, func(f *Facts) { f.Amount, f.Currency = 35000, "KRW" }),
			"[행복동물병원] 진료비 청구서가 발행되었습니다.\n반려동물: Coco\n청구 금액: 35,000원"},
		{"invoice en KRW", English, with(KindInvoiceIssued, func(f *Facts) { f.Amount, f.Currency = 1234500, "KRW" }),
			"[행복동물병원] Your invoice is ready.\nPet: Coco\nAmount due: ₩1,234,500"},
		{"invoice en USD", English, with(KindInvoiceIssued, func(f *Facts) { f.Amount, f.Currency = 1205, "usd" }),
			"[행복동물병원] Your invoice is ready.\nPet: Coco\nAmount due: $12.05"},
		{"reminder ko", Korean, with(KindReminder, nil),
			"[행복동물병원] 내일 진료 예약이 있습니다.\n반려동물: Coco\n일시: 2026년 12월 1일 (화) 오전 10:00"},
		{"reminder en", English, with(KindReminder, nil),
			"[행복동물병원] Reminder: your appointment is tomorrow.\nPet: Coco\nWhen: Tue 1 Dec 2026, 10:00 AM KST"},
		{"placed ko with its status link", Korean, with(KindPlaced, func(f *Facts) { f.Link = "https://c.example/status/tok" }),
			"[행복동물병원] 진료 예약이 확정되었습니다.\n반려동물: Coco\n일시: 2026년 12월 1일 (화) 오전 10:00\n진료 현황: https://c.example/status/tok"},
		{"invoice en with its status link", English, with(KindInvoiceIssued, func(f *Facts) { f.Amount, f.Currency, f.Link = 35000, "KRW", "https://c.example/status/tok" }),
			"[행복동물병원] Your invoice is ready.\nPet: Coco\nAmount due: ₩35,000\nVisit status: https://c.example/status/tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Render(tt.locale, tt.facts)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got != tt.want {
				t.Errorf("Render =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestRenderEveryKindInEveryLocale(t *testing.T) {
	t.Parallel()
	r, err := NewRenderer(seoul(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range []Locale{Korean, English} {
		for _, k := range Kinds() {
			got, err := r.Render(loc, Facts{Kind: k, Clinic: "C", Pet: "P", Amount: 1, Currency: "KRW"})
			if err != nil || !strings.Contains(got, "P") {
				t.Errorf("Render(%s, %s) = %q, %v; want a text naming the pet", loc, k, got, err)
			}
		}
	}
}

func TestRenderOtherZone(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer(ny)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Render(English, Facts{Kind: KindReminder, Clinic: "C", Pet: "P",
		Slot: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "When: Tue 1 Dec 2026, 10:00 AM EST"; !strings.Contains(got, want) {
		t.Errorf("Render = %q, want it to contain %q", got, want)
	}
}

func TestRendererNeedsTheClinicsZone(t *testing.T) {
	t.Parallel()
	if _, err := NewRenderer(nil); err == nil {
		t.Fatal("NewRenderer(nil) = nil error; want one, the zone comes from the clinic's configuration")
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	r, err := NewRenderer(seoul(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Render("fr", Facts{Kind: KindPlaced}); !errors.Is(err, ErrUnknownLocale) {
		t.Errorf("unknown locale: err = %v, want ErrUnknownLocale", err)
	}
	if _, err := r.Render(Korean, Facts{Kind: "reservation.exploded"}); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: err = %v, want ErrUnknownKind", err)
	}
}

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		locale   Locale
		amount   int64
		currency string
		want     string
	}{
		{Korean, 0, "KRW", "0원"},
		{Korean, 999, "KRW", "999원"},
		{Korean, 1000, "KRW", "1,000원"},
		{Korean, 35000, "KRW", "35,000원"},
		{Korean, 1234567, "KRW", "1,234,567원"},
		{English, 35000, "KRW", "₩35,000"},
		{English, -5000, "KRW", "-₩5,000"},
		{English, 5, "USD", "$0.05"},
		{English, 123456, "USD", "$1,234.56"},
		{Korean, 123456, "USD", "1,234.56 USD"},
		{English, 1000, "JPY", "¥1,000"},
		{English, 1234, "KWD", "KWD 1.234"},
		{English, 100, "GBP", "GBP 1.00"},
		{English, -9223372036854775808, "KRW", "-₩9,223,372,036,854,775,808"},
	}
	for _, tt := range tests {
		if got := FormatMoney(tt.locale, tt.amount, tt.currency); got != tt.want {
			t.Errorf("FormatMoney(%s, %d, %s) = %q, want %q", tt.locale, tt.amount, tt.currency, got, tt.want)
		}
	}
}

func TestFormatTimeKoreanHours(t *testing.T) {
	t.Parallel()
	z := seoul(t)
	tests := []struct {
		h, m int
		want string
	}{
		{0, 5, "오전 12:05"},
		{9, 0, "오전 9:00"},
		{12, 0, "오후 12:00"},
		{13, 30, "오후 1:30"},
		{23, 59, "오후 11:59"},
	}
	for _, tt := range tests {
		got := FormatTime(Korean, time.Date(2026, 3, 1, tt.h, tt.m, 0, 0, z))
		if want := "2026년 3월 1일 (일) " + tt.want; got != want {
			t.Errorf("FormatTime(%02d:%02d) = %q, want %q", tt.h, tt.m, got, want)
		}
	}
}

func TestPhoneMasked(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"010-1234-5678", "***-****-5678"},
		{"01012345678", "*******5678"},
		{"+82 10 1234 5678", "+** ** **** 5678"},
		{"1234", "****"},
		{"", ""},
		{"call me", "**** **"},
	}
	for _, tt := range tests {
		p := Phone(tt.in)
		if got := p.Masked(); got != tt.want {
			t.Errorf("Phone(%q).Masked() = %q, want %q", tt.in, got, tt.want)
		}
		if got := p.String(); got != tt.want {
			t.Errorf("Phone(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}
