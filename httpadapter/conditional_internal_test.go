package httpadapter

import "testing"

// TestMatchesNoneMatch: If-None-Match lists, weak and strong tags (weak comparison), "*",
// several fields, commas inside a tag, and malformed input (matches nothing after it).
func TestMatchesNoneMatch(t *testing.T) {
	const tag = `W/"abc"`
	for _, c := range []struct {
		values []string
		star   bool
		want   bool
	}{
		{[]string{`W/"abc"`}, false, true},
		{[]string{`"abc"`}, false, true},
		{[]string{`"x", W/"abc"`}, false, true},
		{[]string{`"x"`, `W/"abc"`}, false, true},
		{[]string{`"a,b" , "abc"`}, false, true},
		{[]string{`"abcd"`}, false, false},
		{[]string{`abc`}, false, false},
		{[]string{`"x", abc, "abc"`}, false, false},
		{[]string{`"unterminated`}, false, false},
		{[]string{`*`}, true, true},
		{[]string{`*`}, false, false},
		{[]string{``}, true, false},
		{nil, true, false},
	} {
		if got := matchesNoneMatch(c.values, tag, c.star); got != c.want {
			t.Errorf("matchesNoneMatch(%q, star=%v) = %v, want %v", c.values, c.star, got, c.want)
		}
	}
}
