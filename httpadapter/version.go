package httpadapter

import (
	"cmp"
	"strings"
)

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

// compareVersions compares two dotted versions numerically, component by component: a
// missing component counts as 0, and so does one that is not a decimal number. Components
// are compared as digit strings (length after trimming leading zeros, then lexically), so
// no component overflows: "1.999999999999999999999" is above "1.56", where Docker's
// versions.compare, parsing with strconv.Atoi, takes the overflowing component for 0.
func compareVersions(a, b string) int {
	for a != "" || b != "" {
		var ca, cb string
		ca, a, _ = strings.Cut(a, ".")
		cb, b, _ = strings.Cut(b, ".")
		na, nb := component(ca), component(cb)
		if len(na) != len(nb) {
			return cmp.Compare(len(na), len(nb))
		}
		if c := strings.Compare(na, nb); c != 0 {
			return c
		}
	}
	return 0
}

// component returns a version component's digits without leading zeros; "" stands for 0,
// which is also what anything that is not a decimal number counts as.
func component(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			return ""
		}
	}
	return strings.TrimLeft(s, "0")
}

// versionLess reports whether a < b.
func versionLess(a, b string) bool { return compareVersions(a, b) < 0 }

// versionAtLeast reports whether a >= b.
func versionAtLeast(a, b string) bool { return compareVersions(a, b) >= 0 }
