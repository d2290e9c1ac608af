package filters_test

import (
	"context"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/filters"
)

func FuzzFromJSON(f *testing.F) {
	for _, seed := range []string{
		``,
		`null`,
		`{}`,
		`{"dangling":true}`,
		`{"colour":{"red":true}}`,
		`{"dangling":{"true":false}}`,
		`{"dangling":["maybe"]}`,
		`{"dangling":{"1":true},"reference":{"alpine:*":true}}`,
		`{"reference":["utest*/*","[","docker.io/library/*"]}`,
		`{"label":["a=b","c!=d"],"label!":["e","f!=g"]}`,
		`{"before":["old"],"since":["nosuch"]}`,
		`{"until":["1h","2006-01-02T15:04","1700000000.123",""]}`,
	} {
		f.Add(seed)
	}
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	opts := filters.CompileOptions{
		Resolve:  fakeResolve(nil),
		Now:      func() time.Time { return now },
		Location: time.FixedZone("UTC+2", 2*3600),
	}
	img := &filters.Image{
		Names: []string{
			"docker.io/library/alpine:3.20", "alpine@sha256:4f53e2564790c8e7856ec08e384732aa38dc43c52f02952483e3f003afbf23db",
			"utest:5000/docker:tag3", "Not A Reference",
		},
		Labels:        []map[string]string{{"a": "b"}, {}},
		Created:       tMiddle,
		RecordCreated: now.Add(-time.Hour),
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := filters.FromJSON(s)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) || err.Error() != "invalid filter" {
				t.Fatalf("FromJSON(%q): unexpected error %v", s, err)
			}
			return
		}
		// Encoding and decoding again gives the same arguments.
		enc, err := a.ToJSON()
		if err != nil {
			t.Fatalf("ToJSON: %v", err)
		}
		back, err := filters.FromJSON(enc)
		if err != nil {
			t.Fatalf("FromJSON(ToJSON()=%q): %v", enc, err)
		}
		if again, _ := back.ToJSON(); again != enc {
			t.Fatalf("round trip changed %q into %q", enc, again)
		}
		if err := a.Validate(filters.ImageListKeys()); err != nil && !errdefs.IsInvalidArgument(err) {
			t.Fatalf("Validate: unexpected error class: %v", err)
		}
		m, err := filters.Compile(context.Background(), a, opts)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) && !errdefs.IsNotFound(err) {
				t.Fatalf("Compile: unexpected error class: %v", err)
			}
			return
		}
		matched := m.Match(img)
		names := m.MatchNames(img.Names)
		if matched && len(m.References()) > 0 && len(names) == 0 {
			t.Fatalf("image matched a reference filter but no name did")
		}
		if m.Empty() && !matched {
			t.Fatalf("empty matcher rejected an image")
		}
		m.Dangling()
		m.Labels()
		m.Before()
		m.Since()
		m.Until()
	})
}

func FuzzParseTimestamp(f *testing.F) {
	for _, seed := range []string{
		"", "0", "1h", "-1h30m", "2006-01-02", "2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05",
		"2006-01-02T15:04:05.999999999+07:00", "2006-01-02Z", "1700000000.123", "1.x", "+5", "2006-01-02T15:04:0Z",
	} {
		f.Add(seed)
	}
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	loc := time.FixedZone("UTC-3", -3*3600)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := filters.ParseTimestamp(s, now, loc)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("ParseTimestamp(%q): unexpected error class: %v", s, err)
			}
			if !got.IsZero() {
				t.Fatalf("ParseTimestamp(%q): non-zero time with an error", s)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("ParseTimestamp(%q) = %v, not in UTC", s, got)
		}
	})
}
