package app

import (
	"log/slog"
	"testing"

	"github.com/vetclinic/clinic/notice"
)

func TestNoticeChannelFlags(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		o       noticeOptions
		want    string
		wantErr bool
	}{
		{noticeOptions{}, "log", false},
		{noticeOptions{notify: "log"}, "log", false},
		{noticeOptions{notify: "webhook", webhookURL: "http://127.0.0.1:9/hook", webhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "webhook", false},
		{noticeOptions{notify: "webhook"}, "", true},
		{noticeOptions{notify: "webhook", webhookURL: "http://x/hook", webhookSecret: "plain"}, "", true},
		{noticeOptions{notify: "sms"}, "", true},
	}
	for _, tt := range tests {
		ch, err := newNoticeChannel(tt.o, log)
		if (err != nil) != tt.wantErr || (err == nil && ch.Name() != tt.want) {
			t.Errorf("newNoticeChannel(%+v) = %v, %v", tt.o, ch, err)
		}
	}
	for in, want := range map[string]notice.Locale{"": notice.Korean, "ko": notice.Korean, "EN": notice.English} {
		if got, err := noticeLocale(in); err != nil || got != want {
			t.Errorf("noticeLocale(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := noticeLocale("fr"); err == nil {
		t.Error("noticeLocale(fr): want an error")
	}
}
