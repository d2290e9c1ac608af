package filters_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
)

func compile(t *testing.T, jsonArgs string, opts filters.CompileOptions) *filters.Matcher {
	t.Helper()
	a, err := filters.FromJSON(jsonArgs)
	require.NoError(t, err)
	require.NoError(t, a.Validate(filters.ImageListKeys()))
	m, err := filters.Compile(context.Background(), a, opts)
	require.NoError(t, err)
	return m
}

func compileErr(t *testing.T, jsonArgs string, opts filters.CompileOptions) error {
	t.Helper()
	a, err := filters.FromJSON(jsonArgs)
	require.NoError(t, err)
	m, err := filters.Compile(context.Background(), a, opts)
	require.Error(t, err)
	assert.Nil(t, m)
	return err
}

// The examples of spec §2.3 (moby integration test TestImagesFilterWithReference
// and friends), on images named as the containerd store stores them.
func TestReferenceUtestTable(t *testing.T) {
	images := []*filters.Image{
		{Names: []string{"docker.io/library/utest:tag1"}},
		{Names: []string{"docker.io/utest/docker:tag2"}},
		{Names: []string{"utest:5000/docker:tag3"}},
	}
	tests := []struct {
		pattern string
		want    int
	}{
		{"utest*/*", 2},
		{"utest*", 1},
		{"utest", 1},
		{"*5000*/*", 1},
		{"docker.io/library/utest", 1},
		{"docker.io/library/utest:*", 1},
		{"docker.io/utest/docker", 1},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			m := filters.NewArgs(filters.Arg("reference", tc.pattern))
			matcher, err := filters.Compile(context.Background(), m, filters.CompileOptions{})
			require.NoError(t, err)
			tags := 0
			for _, img := range images {
				if matcher.Match(img) {
					tags += len(matcher.MatchNames(img.Names))
				}
			}
			assert.Equal(t, tc.want, tags)
		})
	}
}

func TestReferenceTargets(t *testing.T) {
	const dgst = "sha256:4f53e2564790c8e7856ec08e384732aa38dc43c52f02952483e3f003afbf23db"
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"alpine:3.20", "alpine", true},                           // familiar name
		{"alpine:3.20", "alpine:3.*", true},                       // familiar string
		{"alpine:3.20", "docker.io/library/alpine:3.20", true},    // canonical with tag
		{"alpine:3.20", "docker.io/library/alpine", true},         // canonical name
		{"alpine:3.20", "docker.io/*/alpine", true},               // glob on canonical
		{"alpine:3.20", "*", true},                                // familiar name has no "/"
		{"alpine:3.20", "alpine:latest", false},                   // other tag
		{"docker.io/library/alpine:3.20", "alpine:3.20", true},    // normalized input
		{"alpine", "alpine:latest", false},                        // no default tag in familiar form
		{"alpine", "docker.io/library/alpine:latest", true},       // default tag in canonical form
		{"foo/bar@" + dgst, "foo/bar@sha256:*", true},             // digest form
		{"foo/bar@" + dgst, "docker.io/foo/bar", true},            //
		{"foo/bar@" + dgst, "docker.io/foo/bar:latest", false},    // a digest gets no default tag
		{"localhost:5000/x/y:1", "localhost:5000/*/*", true},      //
		{"localhost:5000/x/y:1", "*", false},                      // "*" does not cross "/"
		{"localhost:5000/x/y:1", "localhost*", false},             //
		{"Not A Reference", "Not A Reference", true},              // unparsable: matched raw
		{"Not A Reference", "Not*", true},                         //
		{"Not A Reference", "not", false},                         //
		{"alpine:3.20", "[", false},                               // malformed pattern
		{"alpine:3.20", "alpine[", false},                         //
		{"moby-dangling@" + dgst, "moby-dangling@sha256:*", true}, // a name is a name
	}
	for _, tc := range tests {
		t.Run(tc.name+"~"+tc.pattern, func(t *testing.T) {
			m := compile(t, `{"reference":{"`+tc.pattern+`":true}}`, filters.CompileOptions{})
			assert.Equal(t, tc.want, m.Match(&filters.Image{Names: []string{tc.name}}))
		})
	}
}

func TestReferenceMultiTrim(t *testing.T) {
	// moby integration test TestImagesFilterMultiReference: one image tagged
	// a:v1..a:v4, filtered with three of them, is listed once with 3 tags.
	img := &filters.Image{Names: []string{
		"docker.io/library/a:v1", "docker.io/library/a:v2", "docker.io/library/a:v3", "docker.io/library/a:v4",
	}}
	m := compile(t, `{"reference":{"a:v1":true,"a:v2":true,"a:v3":true}}`, filters.CompileOptions{})
	require.True(t, m.Match(img))
	assert.Equal(t, []string{"docker.io/library/a:v1", "docker.io/library/a:v2", "docker.io/library/a:v3"}, m.MatchNames(img.Names))
	assert.Equal(t, []string{"a:v1", "a:v2", "a:v3"}, m.References())

	// Familiar input comes back as it was passed.
	assert.Equal(t, []string{"a:v2"}, m.MatchNames([]string{"a:v2", "b:v2"}))
	assert.Equal(t, []string{}, m.MatchNames(nil))

	// A malformed pattern does not spoil the others.
	m = compile(t, `{"reference":["[","a:v4"]}`, filters.CompileOptions{})
	assert.Equal(t, []string{"docker.io/library/a:v4"}, m.MatchNames(img.Names))

	// Without a reference filter the names come back untouched.
	m = compile(t, `{"dangling":["false"]}`, filters.CompileOptions{})
	assert.Equal(t, img.Names, m.MatchNames(img.Names))
	assert.Nil(t, m.MatchNames(nil))
	assert.Nil(t, m.References())
}

func TestReferenceDropsUntagged(t *testing.T) {
	m := compile(t, `{"reference":["*"]}`, filters.CompileOptions{})
	assert.False(t, m.Match(&filters.Image{Dangling: true, Names: []string{"moby-dangling@sha256:4f53e2564790c8e7856ec08e384732aa38dc43c52f02952483e3f003afbf23db"}}))
	assert.False(t, m.Match(&filters.Image{}))
	assert.False(t, m.Match(nil))
	assert.True(t, m.Match(&filters.Image{Names: []string{"alpine:latest"}}))

	// Without a reference filter, untagged images pass.
	m = compile(t, `{"reference":[]}`, filters.CompileOptions{})
	assert.True(t, m.Empty())
	assert.True(t, m.Match(&filters.Image{Dangling: true}))
}

func TestLabels(t *testing.T) {
	images := map[string]*filters.Image{
		"none":    {},
		"empty":   {Labels: []map[string]string{{}}},
		"foo=bar": {Labels: []map[string]string{{"foo": "bar"}}},
		"foo=baz": {Labels: []map[string]string{{"foo": "baz", "x": "1"}}},
		"multi":   {Labels: []map[string]string{{"foo": "bar"}, {"foo": "baz", "x": "1"}}},
		"eq":      {Labels: []map[string]string{{"a": "b=c"}}},
	}
	tests := []struct {
		filter string
		want   []string
	}{
		{`{"label":["foo"]}`, []string{"foo=bar", "foo=baz", "multi"}},
		{`{"label":["foo=bar"]}`, []string{"foo=bar", "multi"}},
		{`{"label":["foo="]}`, nil},
		{`{"label":["foo=bar","x"]}`, nil}, // all checks must pass on one config
		{`{"label":["foo=baz","x=1"]}`, []string{"foo=baz", "multi"}},
		{`{"label!":["foo"]}`, []string{"empty", "eq", "none"}},
		{`{"label!":["foo=bar"]}`, []string{"empty", "eq", "foo=baz", "multi", "none"}},
		{`{"label":["foo!=bar"]}`, []string{"empty", "eq", "foo=baz", "multi", "none"}},
		{`{"label!":["foo!=bar"]}`, []string{"foo=bar", "multi"}}, // double negation
		{`{"label!":["x"],"label":["foo"]}`, []string{"foo=bar", "multi"}},
		{`{"label":["a=b=c"]}`, []string{"eq"}}, // split at the first "="
		{`{"label":["a=b"]}`, nil},
		{`{"label":[]}`, []string{"empty", "eq", "foo=bar", "foo=baz", "multi", "none"}},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			m := compile(t, tc.filter, filters.CompileOptions{})
			var got []string
			for _, name := range []string{"empty", "eq", "foo=bar", "foo=baz", "multi", "none"} {
				if m.Match(images[name]) {
					got = append(got, name)
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLabelChecks(t *testing.T) {
	m := compile(t, `{"label":["b=1","a","c!=2"],"label!":["d","e!=3","f=4"]}`, filters.CompileOptions{})
	assert.Equal(t, []filters.LabelCheck{
		{Key: "a"},
		{Key: "b", Value: "1", HasValue: true},
		{Key: "c", Value: "2", HasValue: true, Negate: true},
		{Key: "d", Negate: true},
		{Key: "e", Value: "3", HasValue: true},
		{Key: "f", Value: "4", HasValue: true, Negate: true},
	}, m.Labels())
	assert.True(t, filters.LabelCheck{Key: "e", Value: "3", HasValue: true}.Match(map[string]string{"e": "3"}))
	assert.False(t, filters.LabelCheck{Key: "d", Negate: true}.Match(map[string]string{"d": ""}))
}

func TestLabelSizeBound(t *testing.T) {
	ok := strings.Repeat("k", 4000) + "=" + strings.Repeat("v", 96) // 4096 bytes without "="
	m := compile(t, `{"label":["`+ok+`"]}`, filters.CompileOptions{})
	assert.Len(t, m.Labels(), 1)

	tooLong := strings.Repeat("k", 4000) + "=" + strings.Repeat("v", 97)
	err := compileErr(t, `{"label!":["`+tooLong+`"]}`, filters.CompileOptions{})
	assert.True(t, errdefs.IsInvalidArgument(err))
	assert.Equal(t, "label key and value length (4097 bytes) greater than maximum size (4096 bytes), key: "+
		strings.Repeat("k", 64)+": invalid argument", err.Error())

	err = compileErr(t, `{"label":["short=`+strings.Repeat("v", 4092)+`"]}`, filters.CompileOptions{})
	assert.Equal(t, "label key and value length (4097 bytes) greater than maximum size (4096 bytes), key: short: invalid argument", err.Error())
}

func TestDangling(t *testing.T) {
	dangling := &filters.Image{Dangling: true}
	tagged := &filters.Image{Names: []string{"alpine:latest"}}
	for _, tc := range []struct {
		json string
		want bool
	}{
		{`{"dangling":{"true":true}}`, true},
		{`{"dangling":["1"]}`, true},
		{`{"dangling":["true","1"]}`, true},
		{`{"dangling":["false"]}`, false},
		{`{"dangling":["0","false"]}`, false},
		{`{"dangling":{"true":true,"false":false}}`, true}, // a false boolean does not count
	} {
		t.Run(tc.json, func(t *testing.T) {
			m := compile(t, tc.json, filters.CompileOptions{})
			v, ok := m.Dangling()
			assert.True(t, ok)
			assert.Equal(t, tc.want, v)
			assert.Equal(t, tc.want, m.Match(dangling))
			assert.Equal(t, !tc.want, m.Match(tagged))
			assert.False(t, m.Empty())
		})
	}

	for _, tc := range []struct{ json, want string }{
		{`{"dangling":["maybe"]}`, "invalid filter 'dangling=[maybe]'"},
		{`{"dangling":["True"]}`, "invalid filter 'dangling=[True]'"},
		{`{"dangling":["true","false"]}`, "invalid filter 'dangling=[false true]'"},
		{`{"dangling":["1","0","x"]}`, "invalid filter 'dangling=[0 1 x]'"},
		{`{"dangling":{"true":false}}`, "invalid filter 'dangling=[true]'"},
		{`{"dangling":{}}`, "invalid filter 'dangling'"},
		{`{"dangling":null}`, "invalid filter 'dangling'"},
		{`{"dangling":[""]}`, "invalid filter 'dangling=[]'"},
	} {
		t.Run(tc.json, func(t *testing.T) {
			err := compileErr(t, tc.json, filters.CompileOptions{})
			assert.Equal(t, tc.want, err.Error())
			assert.True(t, errdefs.IsInvalidArgument(err))
		})
	}

	_, ok := compile(t, `{}`, filters.CompileOptions{}).Dangling()
	assert.False(t, ok)
}

var (
	tOld    = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tMiddle = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	tNew    = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

func fakeResolve(calls *[]string) func(context.Context, string) (time.Time, error) {
	created := map[string]time.Time{
		"old:latest": tOld,
		"old":        tOld,
		"middle":     tMiddle,
		"sha256:abc": tMiddle,
		"new":        tNew,
		"nocreated":  {},
	}
	return func(ctx context.Context, ref string) (time.Time, error) {
		if calls != nil {
			*calls = append(*calls, ref)
		}
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		t, ok := created[ref]
		if !ok {
			return time.Time{}, errdefs.ErrNotFound.WithMessage("No such image: " + ref + ":latest")
		}
		return t, nil
	}
}

func TestBeforeSince(t *testing.T) {
	var calls []string
	opts := filters.CompileOptions{Resolve: fakeResolve(&calls)}
	images := map[string]*filters.Image{
		"2019": {Created: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)},
		"old":  {Created: tOld},
		"2021": {Created: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)},
		"2023": {Created: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)},
		"new":  {Created: tNew},
		"zero": {},
	}
	order := []string{"2019", "old", "2021", "2023", "new", "zero"}
	tests := []struct {
		json          string
		want          []string
		before, since time.Time
	}{
		{`{"before":["middle"]}`, []string{"2019", "old", "2021"}, tMiddle, time.Time{}},
		{`{"before":["middle","old"]}`, []string{"2019"}, tOld, time.Time{}},
		{`{"since":["middle"]}`, []string{"2023", "new"}, time.Time{}, tMiddle},
		{`{"since":["middle","old"]}`, []string{"2023", "new"}, time.Time{}, tMiddle},
		{`{"since":["old"],"before":["new"]}`, []string{"2021", "2023"}, tNew, tOld},
		{`{"since":["sha256:abc"]}`, []string{"2023", "new"}, time.Time{}, tMiddle},
		{`{"before":["nocreated"]}`, order, time.Time{}, time.Time{}}, // no created time: no predicate
	}
	for _, tc := range tests {
		t.Run(tc.json, func(t *testing.T) {
			m := compile(t, tc.json, opts)
			var got []string
			for _, name := range order {
				if m.Match(images[name]) {
					got = append(got, name)
				}
			}
			assert.Equal(t, tc.want, got)
			b, ok := m.Before()
			assert.Equal(t, !tc.before.IsZero(), ok)
			assert.Equal(t, tc.before, b)
			s, ok := m.Since()
			assert.Equal(t, !tc.since.IsZero(), ok)
			assert.Equal(t, tc.since, s)
		})
	}

	// Unknown images: the Resolve error comes back unchanged.
	for _, key := range []string{"before", "since"} {
		err := compileErr(t, `{"`+key+`":["middle","nosuch"]}`, opts)
		assert.True(t, errdefs.IsNotFound(err))
		assert.Equal(t, "No such image: nosuch:latest", err.Error())
	}

	// before is resolved first, then since, each in sorted order, as in moby.
	calls = nil
	compile(t, `{"since":["old","new"],"before":["new","middle"]}`, opts)
	assert.Equal(t, []string{"middle", "new", "new", "old"}, calls)

	// The context reaches Resolve.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := filters.Compile(ctx, filters.NewArgs(filters.Arg("before", "old")), opts)
	assert.ErrorIs(t, err, context.Canceled)

	// No Resolve.
	for _, key := range []string{"before", "since"} {
		err := compileErr(t, `{"`+key+`":["old"]}`, filters.CompileOptions{})
		assert.True(t, errdefs.IsNotImplemented(err))
		assert.Contains(t, err.Error(), "CompileOptions.Resolve")
	}
}

func TestUntil(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	loc := time.FixedZone("UTC-5", -5*3600)
	opts := filters.CompileOptions{Now: func() time.Time { return now }, Location: loc}

	m := compile(t, `{"until":["1h"]}`, opts)
	u, ok := m.Until()
	require.True(t, ok)
	assert.Equal(t, now.Add(-time.Hour), u)
	assert.True(t, m.Match(&filters.Image{RecordCreated: now.Add(-2 * time.Hour)}))
	assert.False(t, m.Match(&filters.Image{RecordCreated: now.Add(-time.Hour)}), "strictly before")
	assert.False(t, m.Match(&filters.Image{RecordCreated: now}))
	// until compares the record time, not the config created time.
	assert.False(t, m.Match(&filters.Image{Created: tOld, RecordCreated: now}))

	// Several values: all must hold, so the earliest is the bound.
	m = compile(t, `{"until":["1h","2024-06-01","10m"]}`, opts)
	u, ok = m.Until()
	require.True(t, ok)
	assert.Equal(t, time.Date(2024, 6, 1, 5, 0, 0, 0, time.UTC), u) // midnight at UTC-5
	assert.True(t, m.Match(&filters.Image{RecordCreated: u.Add(-time.Nanosecond)}))
	assert.False(t, m.Match(&filters.Image{RecordCreated: u}))

	err := compileErr(t, `{"until":["1h","soon"]}`, opts)
	assert.True(t, errdefs.IsInvalidArgument(err))
	assert.Equal(t, `invalid value for 'until' filter: failed to parse value as time or duration: invalid seconds "soon": invalid syntax`, err.Error())

	err = compileErr(t, `{"until":[""]}`, opts)
	assert.Equal(t, "invalid value for 'until' filter: failed to parse value as time or duration: value is empty", err.Error())

	// Defaults: time.Now and time.Local.
	before := time.Now()
	m = compile(t, `{"until":["0s"]}`, filters.CompileOptions{})
	u, _ = m.Until()
	assert.False(t, u.Before(before))
	assert.False(t, u.After(time.Now()))
}

func TestCompileOrderAndUnknownKeys(t *testing.T) {
	// Compile ignores unknown keys; Validate is the one to reject them.
	a, err := filters.FromJSON(`{"colour":["red"],"dangling":["true"]}`)
	require.NoError(t, err)
	m, err := filters.Compile(context.Background(), a, filters.CompileOptions{})
	require.NoError(t, err)
	assert.True(t, m.Match(&filters.Image{Dangling: true}))

	// Errors come in Docker's order: before, since, until, label, dangling.
	opts := filters.CompileOptions{Resolve: fakeResolve(nil)}
	bad := map[string]string{
		"before":   `"before":["nosuch"]`,
		"since":    `"since":["nosuch"]`,
		"until":    `"until":["x"]`,
		"label":    `"label":["` + strings.Repeat("x", 4097) + `"]`,
		"dangling": `"dangling":["x"]`,
	}
	check := []struct {
		keys []string
		want func(error) bool
		text string
	}{
		{[]string{"dangling", "label", "until", "since", "before"}, errdefs.IsNotFound, "No such image"},
		{[]string{"dangling", "label", "until", "since"}, errdefs.IsNotFound, "No such image"},
		{[]string{"dangling", "label", "until"}, errdefs.IsInvalidArgument, "'until'"},
		{[]string{"dangling", "label"}, errdefs.IsInvalidArgument, "label key"},
		{[]string{"dangling"}, errdefs.IsInvalidArgument, "dangling"},
	}
	for _, c := range check {
		parts := make([]string, 0, len(c.keys))
		for _, k := range c.keys {
			parts = append(parts, bad[k])
		}
		err := compileErr(t, "{"+strings.Join(parts, ",")+"}", opts)
		assert.True(t, c.want(err), err.Error())
		assert.Contains(t, err.Error(), c.text)
	}
}

func TestAllKeysTogether(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := compile(t, `{"reference":{"alpine:*":true},"dangling":{"false":true},"label":{"os=linux":true},`+
		`"label!":{"deprecated":true},"since":{"old":true},"until":{"24h":true}}`,
		filters.CompileOptions{Resolve: fakeResolve(nil), Now: func() time.Time { return now }})
	good := filters.Image{
		Names:         []string{"docker.io/library/alpine:3.20", "docker.io/library/busybox:1"},
		Labels:        []map[string]string{{"os": "linux"}},
		Created:       tMiddle,
		RecordCreated: now.Add(-48 * time.Hour),
	}
	require.True(t, m.Match(&good))
	assert.Equal(t, []string{"docker.io/library/alpine:3.20"}, m.MatchNames(good.Names))

	mutations := map[string]func(*filters.Image){
		"names":    func(i *filters.Image) { i.Names = []string{"busybox:1"} },
		"dangling": func(i *filters.Image) { i.Dangling = true },
		"label":    func(i *filters.Image) { i.Labels = []map[string]string{{"os": "windows"}} },
		"label!":   func(i *filters.Image) { i.Labels[0] = map[string]string{"os": "linux", "deprecated": ""} },
		"since":    func(i *filters.Image) { i.Created = tOld },
		"until":    func(i *filters.Image) { i.RecordCreated = now },
	}
	for name, mutate := range mutations {
		img := good
		img.Labels = []map[string]string{{"os": "linux"}}
		mutate(&img)
		assert.False(t, m.Match(&img), name)
	}
}

func TestEmptyAndNilMatcher(t *testing.T) {
	m := compile(t, ``, filters.CompileOptions{})
	assert.True(t, m.Empty())
	assert.True(t, m.Match(&filters.Image{}))
	assert.True(t, m.Match(nil))

	var nilM *filters.Matcher
	assert.True(t, nilM.Empty())
	assert.True(t, nilM.Match(&filters.Image{Dangling: true}))
	names := []string{"a"}
	assert.Equal(t, names, nilM.MatchNames(names))
	_, ok := nilM.Dangling()
	assert.False(t, ok)
	assert.Nil(t, nilM.References())
	assert.Nil(t, nilM.Labels())
	_, ok = nilM.Before()
	assert.False(t, ok)
	_, ok = nilM.Since()
	assert.False(t, ok)
	_, ok = nilM.Until()
	assert.False(t, ok)

	for _, j := range []string{`{"label":["a"]}`, `{"reference":["a"]}`, `{"until":["1h"]}`, `{"dangling":["0"]}`} {
		assert.False(t, compile(t, j, filters.CompileOptions{}).Empty(), j)
	}
	assert.False(t, compile(t, `{"before":["old"]}`, filters.CompileOptions{Resolve: fakeResolve(nil)}).Empty())
	assert.False(t, compile(t, `{"since":["old"]}`, filters.CompileOptions{Resolve: fakeResolve(nil)}).Empty())
}

func TestAccessorsAreCopies(t *testing.T) {
	m := compile(t, `{"reference":["a"],"label":["b"]}`, filters.CompileOptions{})
	refs := m.References()
	refs[0] = "changed"
	labels := m.Labels()
	labels[0].Key = "changed"
	assert.Equal(t, []string{"a"}, m.References())
	assert.Equal(t, "b", m.Labels()[0].Key)
}
