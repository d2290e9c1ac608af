package filters_test

import (
	"encoding/json"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
)

func TestFromJSONShapes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string][]string
	}{
		{name: "empty string", in: "", want: map[string][]string{}},
		{name: "json null", in: "null", want: map[string][]string{}},
		{name: "empty object", in: "{}", want: map[string][]string{}},
		{name: "map of bool", in: `{"reference":{"alpine":true,"busybox:*":true},"dangling":{"false":true}}`,
			want: map[string][]string{"reference": {"alpine", "busybox:*"}, "dangling": {"false"}}},
		{name: "map of bool keeps false values for Get", in: `{"reference":{"alpine":false}}`,
			want: map[string][]string{"reference": {"alpine"}}},
		{name: "list", in: `{"reference":["busybox:*","alpine"],"dangling":["true"]}`,
			want: map[string][]string{"reference": {"alpine", "busybox:*"}, "dangling": {"true"}}},
		{name: "list with duplicates", in: `{"label":["a","a"]}`, want: map[string][]string{"label": {"a"}}},
		{name: "null value set", in: `{"dangling":null}`, want: map[string][]string{"dangling": {}}},
		{name: "empty list", in: `{"dangling":[]}`, want: map[string][]string{"dangling": {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := filters.FromJSON(tc.in)
			require.NoError(t, err)
			got := map[string][]string{}
			for _, k := range a.Keys() {
				got[k] = a.Get(k)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, len(tc.want), a.Len())
		})
	}
}

func TestFromJSONInvalid(t *testing.T) {
	for _, in := range []string{
		`{"dangling":true}`,
		`not json`,
		`[]`,
		`"reference"`,
		`{"reference":{"alpine":"yes"}}`,
		`{"reference":{"alpine":true},"label":["a"]}`,
		`{"reference":[1]}`,
		`{`,
	} {
		t.Run(in, func(t *testing.T) {
			a, err := filters.FromJSON(in)
			require.Error(t, err)
			assert.Equal(t, "invalid filter", err.Error())
			assert.True(t, errdefs.IsInvalidArgument(err))
			assert.Equal(t, 0, a.Len())
		})
	}
}

func TestToJSON(t *testing.T) {
	s, err := filters.Args{}.ToJSON()
	require.NoError(t, err)
	assert.Equal(t, "", s)

	a := filters.NewArgs(filters.Arg("reference", "alpine"), filters.Arg("dangling", "true"))
	s, err = a.ToJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"dangling":{"true":true},"reference":{"alpine":true}}`, s)

	// The booleans of the map-of-bool shape are kept as received.
	a, err = filters.FromJSON(`{"dangling":{"true":false}}`)
	require.NoError(t, err)
	s, err = a.ToJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"dangling":{"true":false}}`, s)

	// The list shape comes back in the map-of-bool shape.
	a, err = filters.FromJSON(`{"label":["a=b","c"]}`)
	require.NoError(t, err)
	s, err = a.ToJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"label":{"a=b":true,"c":true}}`, s)
	back, err := filters.FromJSON(s)
	require.NoError(t, err)
	assert.Equal(t, a, back)
}

func TestJSONMarshaler(t *testing.T) {
	type wrapper struct {
		Filters filters.Args `json:"filters"`
	}
	b, err := json.Marshal(wrapper{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"filters":{}}`, string(b))

	b, err = json.Marshal(wrapper{Filters: filters.NewArgs(filters.Arg("label", "x"))})
	require.NoError(t, err)
	assert.JSONEq(t, `{"filters":{"label":{"x":true}}}`, string(b))

	var w wrapper
	require.NoError(t, json.Unmarshal([]byte(`{"filters":{"label":["x","y"]}}`), &w))
	assert.Equal(t, []string{"x", "y"}, w.Filters.Get("label"))

	err = json.Unmarshal([]byte(`{"filters":{"dangling":true}}`), &w)
	require.Error(t, err)
	assert.True(t, errdefs.IsInvalidArgument(err))
}

func TestArgsAccessors(t *testing.T) {
	var a filters.Args // zero value is usable
	assert.Equal(t, 0, a.Len())
	assert.Equal(t, []string{}, a.Get("label"))
	assert.False(t, a.Contains("label"))
	assert.Empty(t, a.Keys())

	a.Add("label", "b")
	a.Add("label", "a")
	a.Add("dangling", "true")
	a.Add("label", "a")
	assert.Equal(t, 2, a.Len())
	assert.Equal(t, []string{"dangling", "label"}, a.Keys())
	assert.Equal(t, []string{"a", "b"}, a.Get("label"))
	assert.True(t, a.Contains("dangling"))

	c := a.Clone()
	c.Add("label", "c")
	c.Add("until", "1h")
	assert.Equal(t, []string{"a", "b"}, a.Get("label"), "clone must not share value sets")
	assert.False(t, a.Contains("until"))
	assert.Equal(t, []string{"a", "b", "c"}, c.Get("label"))

	empty, err := filters.FromJSON(`{"dangling":{}}`)
	require.NoError(t, err)
	assert.True(t, empty.Contains("dangling"))
	assert.Equal(t, []string{}, empty.Get("dangling"))
	assert.True(t, empty.Clone().Contains("dangling"))
}

func TestValidate(t *testing.T) {
	keys := filters.ImageListKeys()
	assert.Equal(t, []string{"dangling", "label", "label!", "before", "since", "reference", "until"}, keys)
	keys[0] = "changed"
	assert.Equal(t, "dangling", filters.ImageListKeys()[0], "ImageListKeys must return a fresh slice")

	ok := filters.NewArgs()
	for _, k := range filters.ImageListKeys() {
		ok.Add(k, "x")
	}
	require.NoError(t, ok.Validate(filters.ImageListKeys()))
	require.NoError(t, filters.Args{}.Validate(nil))

	tests := []struct {
		json string
		want string
	}{
		{`{"colour":{"red":true}}`, "invalid filter 'colour'"},
		{`{"zeta":["a"],"reference":["a"],"colour":["b"]}`, "invalid filter 'colour'"},
		{`{"":["a"]}`, "invalid filter"},
		{`{"Label":["a"]}`, "invalid filter 'Label'"},
	}
	for _, tc := range tests {
		a, err := filters.FromJSON(tc.json)
		require.NoError(t, err)
		err = a.Validate(filters.ImageListKeys())
		require.Error(t, err, tc.json)
		assert.Equal(t, tc.want, err.Error())
		assert.True(t, errdefs.IsInvalidArgument(err))
	}

	// The graphdriver store does not accept label!.
	err := filters.NewArgs(filters.Arg("label!", "a")).Validate([]string{"dangling", "label", "before", "since", "reference", "until"})
	require.Error(t, err)
	assert.Equal(t, "invalid filter 'label!'", err.Error())
}

func TestWithLegacyName(t *testing.T) {
	a := filters.NewArgs(filters.Arg("dangling", "false"))
	got := a.WithLegacyName("alpine*")
	assert.Equal(t, []string{"alpine*"}, got.Get("reference"))
	assert.Equal(t, []string{"false"}, got.Get("dangling"))
	assert.False(t, a.Contains("reference"), "the receiver must not change")

	withRef := filters.NewArgs(filters.Arg("reference", "busybox"))
	assert.Equal(t, []string{"busybox"}, withRef.WithLegacyName("alpine").Get("reference"))

	assert.Equal(t, a, a.WithLegacyName(""))

	var zero filters.Args
	assert.Equal(t, []string{"x"}, zero.WithLegacyName("x").Get("reference"))

	// A reference key with no values still counts as present.
	emptyRef, err := filters.FromJSON(`{"reference":[]}`)
	require.NoError(t, err)
	assert.Equal(t, []string{}, emptyRef.WithLegacyName("alpine").Get("reference"))
}
