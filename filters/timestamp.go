package filters

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
)

// Layouts of the `until` values, beyond the time package's own.
const (
	layoutLocal     = "2006-01-02T15:04:05"
	layoutNanoLocal = "2006-01-02T15:04:05.999999999"
	layoutDateZone  = "2006-01-02Z07:00"
	layoutDateLocal = "2006-01-02"
	untilErrPrefix  = "invalid value for 'until' filter: "
	maxFracDigits   = 20
)

// ParseTimestamp parses the value of an `until` filter the way Docker does
// (moby daemon/internal/timestamp.Parse) and returns the instant in UTC.
//
// In order, value is read as:
//
//   - a Go duration ("10m", "1h30m", "-5s"), giving now minus the duration;
//     the value "0" is not a duration but a Unix timestamp;
//   - an RFC 3339 time, with or without fractional seconds, with or without a
//     zone; a date alone ("2006-01-02") or with a zone ("2006-01-02+01:00");
//     the short forms "2006-01-02T15" and "2006-01-02T15:04" (with or without
//     a zone);
//   - Unix seconds with an optional fraction of at most 20 digits, truncated
//     to nanoseconds ("1700000000", "1700000000.123").
//
// A value is read with an explicit zone when it contains "Z", "z" or "+", or
// exactly three "-". Otherwise it is read in the UTC offset that loc has at
// now, as Docker reads it in the daemon's current local offset; a nil loc
// means time.Local.
//
// Errors have class InvalidArgument and Docker's texts:
// "invalid value for 'until' filter: failed to parse value as time or duration: value is empty"
// for a blank value, the time package's parse error for a date-like value
// (one that contains "-"), and
// "invalid value for 'until' filter: failed to parse value as time or duration: <reason>"
// otherwise.
func ParseTimestamp(value string, now time.Time, loc *time.Location) (time.Time, error) {
	t, err := parseTimestamp(value, now, loc)
	if err != nil {
		return time.Time{}, errdefs.ErrInvalidArgument.WithMessage(untilErrPrefix + err.Error())
	}
	return t, nil
}

func parseTimestamp(value string, now time.Time, loc *time.Location) (time.Time, error) {
	if strings.TrimSpace(value) == "" {
		return time.Time{}, errors.New("failed to parse value as time or duration: value is empty")
	}
	if d, err := time.ParseDuration(value); err == nil && value != "0" {
		return now.Add(-d).UTC(), nil
	}

	inLocation := !strings.ContainsAny(value, "zZ+") && strings.Count(value, "-") != 3
	var layout string
	switch {
	case strings.Contains(value, "."):
		layout = time.RFC3339Nano
		if inLocation {
			layout = layoutNanoLocal
		}
	case strings.Contains(value, "T"):
		colons := strings.Count(value, ":")
		if !inLocation && !strings.ContainsAny(value, "zZ") && colons > 0 {
			colons-- // the colon of a numeric zone offset
		}
		layout = shortTLayout(colons, inLocation)
	case inLocation:
		layout = layoutDateLocal
	default:
		layout = layoutDateZone
	}

	var t time.Time
	var err error
	if inLocation {
		if loc == nil {
			loc = time.Local
		}
		t, err = time.ParseInLocation(layout, value, time.FixedZone(now.In(loc).Zone()))
	} else {
		t, err = time.Parse(layout, value)
	}
	if err != nil {
		if strings.Contains(value, "-") {
			return time.Time{}, err
		}
		t, err = parseUnix(value)
		if err != nil {
			return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %w", err)
		}
	}
	return t.UTC(), nil
}

// shortTLayout picks the layout of a value with a "T" by the number of
// colons in its time part.
func shortTLayout(colons int, inLocation bool) string {
	switch {
	case colons == 0 && inLocation:
		return "2006-01-02T15"
	case colons == 0:
		return "2006-01-02T15Z07:00"
	case colons == 1 && inLocation:
		return "2006-01-02T15:04"
	case colons == 1:
		return "2006-01-02T15:04Z07:00"
	case inLocation:
		return layoutLocal
	default:
		return time.RFC3339
	}
}

// parseUnix reads "seconds[.fraction]".
func parseUnix(value string) (time.Time, error) {
	s, frac, _ := strings.Cut(value, ".")
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if numErr, ok := errors.AsType[*strconv.NumError](err); ok {
			err = numErr.Err
		}
		return time.Time{}, fmt.Errorf("invalid seconds %q: %w", s, err)
	}
	if strings.Trim(frac, "0") == "" && len(frac) <= maxFracDigits {
		return time.Unix(sec, 0).UTC(), nil
	}
	if len(frac) > maxFracDigits {
		return time.Time{}, fmt.Errorf("invalid nanoseconds: length %d exceeds maximum %d", len(frac), maxFracDigits)
	}
	var nsec int64
	for i := range len(frac) {
		c := frac[i]
		if c < '0' || c > '9' {
			return time.Time{}, fmt.Errorf("invalid nanoseconds: invalid character %q at position %d", c, i)
		}
		if i < 9 {
			nsec = nsec*10 + int64(c-'0')
		}
	}
	for i := len(frac); i < 9; i++ {
		nsec *= 10
	}
	return time.Unix(sec, nsec).UTC(), nil
}
