package httpadapter

import "strings"

// validVersion reports whether v has the shape of a version prefix: digits and dots, at
// least one digit.
func validVersion(v string) bool {
	digit := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digit = true
		case c == '.':
		default:
			return false
		}
	}
	return digit
}

// compareVersions compares two dotted versions numerically, component by component, as
// Docker's versions.compare does: a missing component counts as 0, and so does one that is
// not a number.
func compareVersions(a, b string) int {
	for a != "" || b != "" {
		var ca, cb string
		ca, a, _ = strings.Cut(a, ".")
		cb, b, _ = strings.Cut(b, ".")
		na, nb := atoi(ca), atoi(cb)
		if na < nb {
			return -1
		}
		if na > nb {
			return 1
		}
	}
	return 0
}

// atoi parses a version component; anything that is not a small decimal number is 0.
func atoi(s string) int {
	if s == "" || len(s) > 18 {
		return 0
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// versionLess reports whether a < b.
func versionLess(a, b string) bool { return compareVersions(a, b) < 0 }

// versionAtLeast reports whether a >= b.
func versionAtLeast(a, b string) bool { return compareVersions(a, b) >= 0 }
