package notice

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// templates holds every message text, by locale and kind. The texts use
// labelled lines (as KakaoTalk AlimTalk templates do), which also spares the
// Korean ones from particles that depend on the preceding word.
var templates = map[Locale]map[Kind]string{
	Korean: {
		KindPlaced:         "[{{.Clinic}}] 진료 예약이 확정되었습니다.\n반려동물: {{.Pet}}\n일시: {{when .Slot}}{{link .Link}}",
		KindRescheduled:    "[{{.Clinic}}] 진료 예약이 변경되었습니다.\n반려동물: {{.Pet}}\n변경 전: {{when .OldSlot}}\n변경 후: {{when .Slot}}{{link .Link}}",
		KindCancelled:      "[{{.Clinic}}] 진료 예약이 취소되었습니다.\n반려동물: {{.Pet}}\n일시: {{when .Slot}}{{if .Reason}}\n사유: {{.Reason}}{{end}}{{link .Link}}",
		KindCheckedIn:      "[{{.Clinic}}] 접수되었습니다. 잠시만 기다려 주세요.\n반려동물: {{.Pet}}{{link .Link}}",
		KindCompleted:      "[{{.Clinic}}] 진료가 완료되었습니다. 방문해 주셔서 감사합니다.\n반려동물: {{.Pet}}{{link .Link}}",
		KindNoShow:         "[{{.Clinic}}] 예약 시간에 방문하지 않으셔서 예약이 미방문 처리되었습니다.\n반려동물: {{.Pet}}\n일시: {{when .Slot}}{{link .Link}}",
		KindInvoiceIssued:  "[{{.Clinic}}] 진료비 청구서가 발행되었습니다.\n반려동물: {{.Pet}}\n청구 금액: {{money .Amount .Currency}}{{link .Link}}",
		KindReminder:       "[{{.Clinic}}] 내일 진료 예약이 있습니다.\n반려동물: {{.Pet}}\n일시: {{when .Slot}}{{link .Link}}",
		KindDetailsChanged: "[{{.Clinic}}] 예약 정보가 변경되었습니다. 이 번호로 안내해 드립니다.\n반려동물: {{.Pet}}\n일시: {{when .Slot}}{{link .Link}}",
		KindDiscounted:     "[{{.Clinic}}] 진료비가 할인되었습니다.\n반려동물: {{.Pet}}\n할인 금액: {{money .Amount .Currency}}\n남은 금액: {{money .Balance .Currency}}{{link .Link}}",
		KindInvoiceVoided:  "[{{.Clinic}}] 진료비 청구서가 취소되었습니다. 정정된 청구서를 다시 보내 드립니다.\n반려동물: {{.Pet}}{{link .Link}}",
	},
	English: {
		KindPlaced:         "[{{.Clinic}}] Your appointment is confirmed.\nPet: {{.Pet}}\nWhen: {{when .Slot}}{{link .Link}}",
		KindRescheduled:    "[{{.Clinic}}] Your appointment has been moved.\nPet: {{.Pet}}\nWas: {{when .OldSlot}}\nNow: {{when .Slot}}{{link .Link}}",
		KindCancelled:      "[{{.Clinic}}] Your appointment has been cancelled.\nPet: {{.Pet}}\nWhen: {{when .Slot}}{{if .Reason}}\nReason: {{.Reason}}{{end}}{{link .Link}}",
		KindCheckedIn:      "[{{.Clinic}}] You are checked in. Please wait to be called.\nPet: {{.Pet}}{{link .Link}}",
		KindCompleted:      "[{{.Clinic}}] The visit is complete. Thank you for coming.\nPet: {{.Pet}}{{link .Link}}",
		KindNoShow:         "[{{.Clinic}}] We missed you: the appointment was recorded as not attended.\nPet: {{.Pet}}\nWhen: {{when .Slot}}{{link .Link}}",
		KindInvoiceIssued:  "[{{.Clinic}}] Your invoice is ready.\nPet: {{.Pet}}\nAmount due: {{money .Amount .Currency}}{{link .Link}}",
		KindReminder:       "[{{.Clinic}}] Reminder: your appointment is tomorrow.\nPet: {{.Pet}}\nWhen: {{when .Slot}}{{link .Link}}",
		KindDetailsChanged: "[{{.Clinic}}] Your appointment details were updated; we will contact you at this number.\nPet: {{.Pet}}\nWhen: {{when .Slot}}{{link .Link}}",
		KindDiscounted:     "[{{.Clinic}}] A discount was applied to your invoice.\nPet: {{.Pet}}\nDiscount: {{money .Amount .Currency}}\nStill due: {{money .Balance .Currency}}{{link .Link}}",
		KindInvoiceVoided:  "[{{.Clinic}}] Your invoice was cancelled; a corrected one will follow.\nPet: {{.Pet}}{{link .Link}}",
	},
}

var (
	koWeekdays = [...]string{"일", "월", "화", "수", "목", "금", "토"}
)

// Renderer turns facts into message text, with times in the clinic's zone.
type Renderer struct {
	zone *time.Location
	tmpl map[Locale]map[Kind]*template.Template
}

// NewRenderer parses the templates for a clinic in zone, the Location of
// the clinic's configuration. It returns an error when zone is nil or a
// template is broken.
func NewRenderer(zone *time.Location) (*Renderer, error) {
	if zone == nil {
		return nil, errors.New("notice: a renderer needs the clinic's time zone")
	}
	r := &Renderer{zone: zone, tmpl: map[Locale]map[Kind]*template.Template{}}
	for loc, kinds := range templates {
		funcs := template.FuncMap{
			"when":  func(t time.Time) string { return FormatTime(loc, t.In(zone)) },
			"money": func(a int64, c string) string { return FormatMoney(loc, a, c) },
			"link":  func(u string) string { return linkLine(loc, u) },
		}
		r.tmpl[loc] = map[Kind]*template.Template{}
		for kind, text := range kinds {
			t, err := template.New(string(kind)).Option("missingkey=error").Funcs(funcs).Parse(text)
			if err != nil {
				return nil, fmt.Errorf("notice: template %s/%s: %w", loc, kind, err)
			}
			r.tmpl[loc][kind] = t
		}
	}
	return r, nil
}

// Zone returns the clinic's time zone.
func (r *Renderer) Zone() *time.Location { return r.zone }

// Render writes the message for f in locale. An empty locale means Korean.
// It returns ErrUnknownLocale or ErrUnknownKind when there is no template.
func (r *Renderer) Render(locale Locale, f Facts) (string, error) {
	if locale == "" {
		locale = Korean
	}
	kinds, ok := r.tmpl[locale]
	if !ok {
		return "", fmt.Errorf("render %s: %w %q", f.Kind, ErrUnknownLocale, locale)
	}
	t, ok := kinds[f.Kind]
	if !ok {
		return "", fmt.Errorf("render: %w %q", ErrUnknownKind, f.Kind)
	}
	var b strings.Builder
	if err := t.Execute(&b, f); err != nil {
		return "", fmt.Errorf("render %s/%s: %w", locale, f.Kind, err)
	}
	return b.String(), nil
}

// linkLine is a message's last line, the status page link, labelled; ""
// when the message has no link.
func linkLine(locale Locale, u string) string {
	if u == "" {
		return ""
	}
	if locale == Korean {
		return "\n진료 현황: " + u
	}
	return "\nVisit status: " + u
}

// FormatTime formats a local time for locale: "2026년 12월 1일 (화) 오전 10:00"
// in Korean, "Tue 1 Dec 2026, 10:00 AM KST" in English.
func FormatTime(locale Locale, t time.Time) string {
	if locale == Korean {
		ampm, h := "오전", t.Hour()
		if h >= 12 {
			ampm = "오후"
		}
		if h = h % 12; h == 0 {
			h = 12
		}
		return fmt.Sprintf("%d년 %d월 %d일 (%s) %s %d:%02d", t.Year(), int(t.Month()), t.Day(),
			koWeekdays[t.Weekday()], ampm, h, t.Minute())
	}
	return t.Format("Mon 2 Jan 2006, 3:04 PM MST")
}
