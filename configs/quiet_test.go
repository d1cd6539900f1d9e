package configs

import (
	"testing"
	"time"
)

func TestQuietUntil(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		hours, now, want string
	}{
		{"20:00-08:00", "2026-06-15 22:30", "2026-06-16 08:00"},
		{"20:00-08:00", "2026-06-16 07:59", "2026-06-16 08:00"},
		{"20:00-08:00", "2026-06-16 08:00", ""},
		{"20:00-08:00", "2026-06-16 12:00", ""},
		{"09:00-12:00", "2026-06-16 10:00", "2026-06-16 12:00"},
		{"09:00-12:00", "2026-06-16 13:00", ""},
		{"", "2026-06-16 10:00", ""},
	}
	for _, tc := range tests {
		got := Slack{QuietHours: tc.hours}.QuietUntil(at(tc.now).UTC(), ny)
		want := time.Time{}
		if tc.want != "" {
			want = at(tc.want)
		}
		if !got.Equal(want) {
			t.Errorf("%q at %s: until %v, want %v", tc.hours, tc.now, got, want)
		}
	}
	for _, bad := range []string{"20:00", "8-9", "10:00-10:00", "25:00-01:00"} {
		if _, _, ok := QuietHours(bad); ok {
			t.Errorf("QuietHours(%q) accepted", bad)
		}
	}
}
