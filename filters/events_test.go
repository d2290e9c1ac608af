package filters_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
)

func TestArgsMatchPrimitives(t *testing.T) {
	a := filters.NewArgs(filters.Arg("k", "abc"), filters.Arg("k", "x"), filters.Arg("label", "a"), filters.Arg("label", "b=1"))
	assert.True(t, a.ExactMatch("k", "abc"))
	assert.False(t, a.ExactMatch("k", "ab"))
	assert.True(t, a.ExactMatch("absent", "anything"), "no values: no filter")
	assert.True(t, a.FuzzyMatch("k", "abcdef"), "by prefix")
	assert.True(t, a.FuzzyMatch("k", "x"))
	assert.False(t, a.FuzzyMatch("k", "zabc"))
	assert.True(t, a.FuzzyMatch("absent", "anything"))
	assert.True(t, a.MatchKVList("label", map[string]string{"a": "", "b": "1", "c": "2"}))
	assert.False(t, a.MatchKVList("label", map[string]string{"a": "", "b": "2"}), "values are compared")
	assert.False(t, a.MatchKVList("label", map[string]string{"b": "1"}), "every entry is needed")
	assert.False(t, a.MatchKVList("label", nil))
	assert.True(t, a.MatchKVList("absent", nil))

	// Booleans do not matter (as Get).
	f, err := filters.FromJSON(`{"k":{"v":false}}`)
	require.NoError(t, err)
	assert.True(t, f.ExactMatch("k", "v"))
}

func TestMatchImageEvent(t *testing.T) {
	const id = "sha256:0123456789abcdef"
	attrs := map[string]string{"name": "foo:v1", "maintainer": "me"}
	for _, c := range []struct {
		json string
		want bool
	}{
		{``, true},
		{`{"type":["image"]}`, true},
		{`{"type":["container"]}`, false},
		{`{"event":["tag","delete"]}`, true},
		{`{"event":["ta"]}`, false},
		{`{"event":["ta","exec_start"]}`, true}, // a fuzzy value makes every value a prefix
		{`{"scope":["local"]}`, true},
		{`{"scope":["swarm"]}`, false},
		{`{"scope":[]}`, true},
		{`{"container":["foo"]}`, true},
		{`{"volume":["sha256:0123"]}`, true},
		{`{"network":["bar"]}`, false},
		{`{"image":["foo"]}`, true}, // the name without its tag
		{`{"image":["foo:v1"]}`, true},
		{`{"image":["` + id + `"]}`, true},
		{`{"image":["fo"]}`, false},
		{`{"label":["maintainer=me"]}`, true},
		{`{"label":["maintainer=you"]}`, false},
		{`{"label":["maintainer","other"]}`, false},
		{`{"nonsense":["x"]}`, true},
	} {
		a, err := filters.FromJSON(c.json)
		require.NoError(t, err)
		assert.Equal(t, c.want, a.MatchImageEvent("tag", id, attrs), c.json)
	}
}

func TestParseUnixTimestamp(t *testing.T) {
	for in, want := range map[string]time.Time{
		"":                          {},
		"0":                         time.Unix(0, 0).UTC(),
		"1767225601.123456789":      time.Unix(1767225601, 123456789).UTC(),
		"1767225601.1":              time.Unix(1767225601, 100000000).UTC(),
		"1767225601.":               time.Unix(1767225601, 0).UTC(),
		"1767225601.12345678909999": time.Unix(1767225601, 123456789).UTC(),
		"-5":                        time.Unix(-5, 0).UTC(),
	} {
		got, err := filters.ParseUnixTimestamp(in)
		require.NoError(t, err, in)
		assert.True(t, want.Equal(got), "%q: %s, want %s", in, got, want)
	}
	for in, msg := range map[string]string{
		"x":                            `invalid timestamp "x": invalid seconds "x": invalid syntax`,
		"1.x":                          `invalid timestamp "1.x": invalid nanoseconds: invalid character 'x' at position 0`,
		"1." + strings.Repeat("1", 21): `invalid timestamp "1.` + strings.Repeat("1", 21) + `": invalid nanoseconds: length 21 exceeds maximum 20`,
		"10m":                          `invalid timestamp "10m": invalid seconds "10m": invalid syntax`,
	} {
		_, err := filters.ParseUnixTimestamp(in)
		assert.EqualError(t, err, msg, in)
	}
}
