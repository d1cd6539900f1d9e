package configs

import "testing"

func TestNearestKey(t *testing.T) {
	t.Parallel()
	testKeys := testFields.keys()
	for _, tt := range []struct{ key, want string }{
		{"target_rosa", "target_roas"}, // swapped letters
		{"targetROAS", "target_roas"},  // case and underscore
		{"target-roas", "target_roas"}, // dash
		{"checkpoint", "checkpoints"},  // missing letter
		{"varients", "variants"},       // misspelt
		{"budget", ""},                 // too far from budget_step
		{"colour", ""},                 // nothing close
		{"ix", "id"},                   // one edit on a short key
		{"xy", ""},                     // two edits on a short key
		{"actionz", "actions"},
	} {
		if got := Nearest(tt.key, testKeys); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestDateProblem(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"2026-13-01", "month 13 is not 1–12; want YYYY-MM-DD"},
		{"2026-00-10", "month 0 is not 1–12; want YYYY-MM-DD"},
		{"2026-02-30", "day 30 is not 1–28: February 2026 has 28 days"},
		{"2028-02-30", "day 30 is not 1–29: February 2028 has 29 days"},
		{"2026-04-31", "day 31 is not 1–30: April 2026 has 30 days"},
		{"2026-1-5", "want YYYY-MM-DD with two-digit month and day: 2026-01-05"},
		{"01/03/2026", "want YYYY-MM-DD"},
	} {
		if got := dateProblem(tt.in); got != tt.want {
			t.Errorf("dateProblem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
