package filters_test

import (
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
)

func TestParseTimestamp(t *testing.T) {
	now := time.Date(2020, 1, 2, 3, 4, 5, 123456789, time.UTC)
	// A fixed zone west of UTC, so that zone-less values visibly move.
	loc := time.FixedZone("UTC-5", -5*3600)

	tests := []struct {
		in   string
		want string // RFC3339Nano, UTC
	}{
		// RFC 3339 with fraction, with and without zone.
		{"2006-01-02T15:04:05.999999999+07:00", "2006-01-02T08:04:05.999999999Z"},
		{"2006-01-02T15:04:05.999999999Z", "2006-01-02T15:04:05.999999999Z"},
		{"2006-01-02T15:04:05.999999999", "2006-01-02T20:04:05.999999999Z"},
		{"2006-01-02T15:04:05.5-01:00", "2006-01-02T16:04:05.5Z"},
		// RFC 3339, with and without zone.
		{"2006-01-02T15:04:05Z", "2006-01-02T15:04:05Z"},
		{"2006-01-02T15:04:05+01:00", "2006-01-02T14:04:05Z"},
		{"2006-01-02T15:04:05-01:00", "2006-01-02T16:04:05Z"},
		{"2006-01-02T15:04:05", "2006-01-02T20:04:05Z"},
		{"2015-05-13T20:39:09Z", "2015-05-13T20:39:09Z"},
		// Short T forms.
		{"2006-01-02T15:04Z", "2006-01-02T15:04:00Z"},
		{"2006-01-02T15:04+00:00", "2006-01-02T15:04:00Z"},
		{"2006-01-02T15:04-00:00", "2006-01-02T15:04:00Z"},
		{"2006-01-02T15:04", "2006-01-02T20:04:00Z"},
		{"2006-01-02T15Z", "2006-01-02T15:00:00Z"},
		{"2006-01-02T15+00:00", "2006-01-02T15:00:00Z"},
		{"2006-01-02T15-00:00", "2006-01-02T15:00:00Z"},
		{"2006-01-02T15+02:00", "2006-01-02T13:00:00Z"},
		{"2006-01-02T15", "2006-01-02T20:00:00Z"},
		{"2006-01-02T1Z", "2006-01-02T01:00:00Z"},
		{"2006-01-02T1", "2006-01-02T06:00:00Z"},
		// Dates, with and without zone.
		{"2006-01-02+00:00", "2006-01-02T00:00:00Z"},
		{"2006-01-02-00:00", "2006-01-02T00:00:00Z"},
		{"2006-01-02-00:01", "2006-01-02T00:01:00Z"},
		{"2006-01-02+03:00", "2006-01-01T21:00:00Z"},
		{"2006-01-02Z", "2006-01-02T00:00:00Z"},
		{"2006-01-02", "2006-01-02T05:00:00Z"},
		// Unix seconds, with optional fraction (padded or truncated to ns).
		{"1136073600", "2006-01-01T00:00:00Z"},
		{"1136073600.000000001", "2006-01-01T00:00:00.000000001Z"},
		{"1700000000.123", "2023-11-14T22:13:20.123Z"},
		{"1136073600.1", "2006-01-01T00:00:00.1Z"},
		{"1136073600.0", "2006-01-01T00:00:00Z"},
		{"1136073600.", "2006-01-01T00:00:00Z"},
		{"1136073600.000000000", "2006-01-01T00:00:00Z"},
		{"1136073600.0000000010", "2006-01-01T00:00:00.000000001Z"},
		{"1136073600.0000000009", "2006-01-01T00:00:00Z"},
		{"1136073600.00000000000000000000", "2006-01-01T00:00:00Z"},
		{"+1136073600", "2006-01-01T00:00:00Z"},
		{"0", "1970-01-01T00:00:00Z"}, // "0" is a timestamp, not a duration
		// Durations, relative to now.
		{"0s", "2020-01-02T03:04:05.123456789Z"},
		{"1m", "2020-01-02T03:03:05.123456789Z"},
		{"1.5h", "2020-01-02T01:34:05.123456789Z"},
		{"1h30m", "2020-01-02T01:34:05.123456789Z"},
		{"-1h", "2020-01-02T04:04:05.123456789Z"},
		{"10ms", "2020-01-02T03:04:05.113456789Z"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := filters.ParseTimestamp(tc.in, now, loc)
			require.NoError(t, err)
			want, err := time.Parse(time.RFC3339Nano, tc.want)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestParseTimestampErrors(t *testing.T) {
	now := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	const prefix = "invalid value for 'until' filter: "
	tests := []struct {
		in   string
		want string // exact text, or a prefix when it ends with "..."
	}{
		{"", prefix + "failed to parse value as time or duration: value is empty"},
		{" \t", prefix + "failed to parse value as time or duration: value is empty"},
		{"invalid", prefix + `failed to parse value as time or duration: invalid seconds "invalid": invalid syntax`},
		{" 1136073600 \t", prefix + `failed to parse value as time or duration: invalid seconds " 1136073600 \t": invalid syntax`},
		{"foo.bar", prefix + `failed to parse value as time or duration: invalid seconds "foo": invalid syntax`},
		{".5", prefix + `failed to parse value as time or duration: invalid seconds "": invalid syntax`},
		{"1136073600.bar", prefix + `failed to parse value as time or duration: invalid nanoseconds: invalid character 'b' at position 0`},
		{"1136073600.12+4", prefix + `failed to parse value as time or duration: invalid nanoseconds: invalid character '+' at position 2`},
		{"1136073600.000000000000000000001", prefix + `failed to parse value as time or duration: invalid nanoseconds: length 21 exceeds maximum 20`},
		{"99999999999999999999", prefix + `failed to parse value as time or duration: invalid seconds "99999999999999999999": value out of range`},
		{"1h30", prefix + `failed to parse value as time or duration: invalid seconds "1h30": invalid syntax`},
		{"T", prefix + `failed to parse value as time or duration: invalid seconds "T": invalid syntax`},
		// Date-like values (with a "-") report the time package's error.
		{"2006-01-02T15:04:0Z", prefix + `parsing time "2006-01-02T15:04:0Z"...`},
		{"2006-01-02T15:04:0", prefix + `parsing time "2006-01-02T15:04:0"...`},
		{"2006-01-02T15:0Z", prefix + `parsing time "2006-01-02T15:0Z"...`},
		{"2006-01-02TZ", prefix + `parsing time "2006-01-02TZ"...`},
		{"2006-01-02T", prefix + `parsing time "2006-01-02T"...`},
		{"2006-13-02", prefix + `parsing time "2006-13-02": month out of range`},
		{"2006-01-02T15:04:05z", prefix + `parsing time "2006-01-02T15:04:05z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00"`},
		{"-1", prefix + `parsing time "-1"...`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := filters.ParseTimestamp(tc.in, now, time.UTC)
			require.Error(t, err)
			assert.True(t, got.IsZero())
			assert.True(t, errdefs.IsInvalidArgument(err))
			if p, ok := strings.CutSuffix(tc.want, "..."); ok {
				assert.True(t, strings.HasPrefix(err.Error(), p), err.Error())
			} else {
				assert.Equal(t, tc.want, err.Error())
			}
		})
	}
}

func TestParseTimestampLocation(t *testing.T) {
	now := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

	// nil means time.Local, at the offset in effect at now.
	_, off := now.In(time.Local).Zone()
	got, err := filters.ParseTimestamp("2006-01-02T15:04:05", now, nil)
	require.NoError(t, err)
	want := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC).Add(-time.Duration(off) * time.Second)
	assert.Equal(t, want, got)

	// The offset of loc at now applies, as Docker reads zone-less values in
	// the daemon's current offset (not the offset in effect at the value).
	summer := time.FixedZone("summer", 2*3600)
	winter := time.FixedZone("winter", 1*3600)
	nowInSummer := time.Date(2020, 7, 1, 0, 0, 0, 0, summer)
	got, err = filters.ParseTimestamp("2020-01-01T12:00:00", nowInSummer, winter)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 1, 1, 11, 0, 0, 0, time.UTC), got)

	// Values with a zone ignore loc.
	got, err = filters.ParseTimestamp("2020-01-01T12:00:00Z", now, winter)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 1, 1, 12, 0, 0, 0, time.UTC), got)

	// Unix seconds ignore loc.
	got, err = filters.ParseTimestamp("1700000000", now, winter)
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1700000000, 0).UTC(), got)
}
