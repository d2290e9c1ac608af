package httpadapter_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

// TestListShapingPerVersion pins spec §2.5: which keys each API version gets, and how.
func TestListShapingPerVersion(t *testing.T) {
	modernKeys := []string{"Containers", "Created", "Id", "Labels", "ParentId", "RepoDigests", "RepoTags", "SharedSize", "Size"}
	tests := []struct {
		version     string
		keys        []string // of the busybox entry, in order
		containers  float64  // of the alpine entry
		danglingTag []any
	}{
		{"1.41", append(slices.Clone(modernKeys), "VirtualSize"), -1, []any{"<none>:<none>"}},
		{"1.43", append(slices.Clone(modernKeys), "VirtualSize"), -1, []any{}},
		{"1.44", modernKeys, -1, []any{}},
		{"1.47", modernKeys, -1, []any{}},
		{"1.48", insertDescriptor(modernKeys), -1, []any{}},
		{"1.50", insertDescriptor(modernKeys), -1, []any{}},
		{"1.51", insertDescriptor(modernKeys), 1, []any{}},
		{"1.52", insertDescriptor(modernKeys), 1, []any{}},
		{"1.56", insertDescriptor(modernKeys), 1, []any{}},
		{"", insertDescriptor(modernKeys), 1, []any{}},
	}
	h := httpadapter.New(newFixture(), httpadapter.Options{})
	for _, tt := range tests {
		t.Run("v"+tt.version, func(t *testing.T) {
			path := "/images/json"
			if tt.version != "" {
				path = "/v" + tt.version + path
			}
			w := request(t, h, http.MethodGet, path, nil)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, "1.56", w.Header().Get("Api-Version"))
			raw := w.Body.Bytes()
			assert.True(t, strings.HasSuffix(string(raw), "]\n"), "trailing newline")
			elems := elements(t, raw)
			require.Len(t, elems, 3)

			assert.Equal(t, tt.keys, topKeys(t, elems[1]))
			alpine := decodeObject(t, elems[0])
			assert.Equal(t, tt.containers, alpine["Containers"])
			assert.Equal(t, float64(createdTime.Unix()), alpine["Created"])
			assert.Equal(t, float64(-1), alpine["SharedSize"], "shared-size not asked")
			if _, ok := alpine["VirtualSize"]; ok {
				assert.Equal(t, alpine["Size"], alpine["VirtualSize"])
			}
			assert.NotContains(t, alpine, "Manifests")

			dangling := decodeObject(t, elems[2])
			assert.Equal(t, tt.danglingTag, dangling["RepoTags"])
			if len(tt.danglingTag) > 0 {
				assert.Equal(t, []any{"<none>@<none>"}, dangling["RepoDigests"])
				// Written literally: no HTML escaping.
				assert.Contains(t, string(raw), `"<none>:<none>"`)
			} else {
				assert.Equal(t, []any{}, dangling["RepoDigests"])
			}
			assert.Contains(t, string(raw), `"maintainer":"<someone@example.com>"`, "no HTML escaping")
		})
	}
}

func insertDescriptor(keys []string) []string {
	out := slices.Clone(keys)
	return slices.Insert(out, 5, "Descriptor")
}

func TestListOptionsPerVersion(t *testing.T) {
	tests := []struct {
		version                              string
		query                                string
		sharedSize, manifests, identity, all bool
		status                               int
	}{
		{"1.41", "shared-size=1&manifests=1&identity=1&all=1", false, false, false, true, 200},
		{"1.42", "shared-size=1&manifests=1", true, false, false, false, 200},
		{"1.46", "manifests=1", false, false, false, false, 200},
		{"1.47", "manifests=1", false, true, false, false, 200},
		{"1.53", "identity=1", false, false, false, false, 200},
		{"1.54", "identity=1", false, false, false, false, 400},
		{"1.54", "identity=1&manifests=1", false, true, true, false, 200},
		{"1.56", "manifests=yes&shared-size=True&all=2", true, true, false, true, 200},
		{"1.56", "manifests=no&shared-size=none&all=FALSE", false, false, false, false, 200},
		{"1.56", "manifests=0&shared-size=&all=%20false%20", false, false, false, false, 200},
	}
	for _, tt := range tests {
		t.Run(tt.version+"?"+tt.query, func(t *testing.T) {
			f := newFixture()
			h := httpadapter.New(f, httpadapter.Options{})
			w := request(t, h, http.MethodGet, "/v"+tt.version+"/images/json?"+tt.query, nil)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.status != 200 {
				assert.JSONEq(t, `{"message":"conflicting options: identity requires manifests=1"}`, w.Body.String())
				return
			}
			got := f.last().listOpts
			assert.Equal(t, tt.sharedSize, got.SharedSize, "shared-size")
			assert.Equal(t, tt.manifests, got.Manifests, "manifests")
			assert.Equal(t, tt.identity, got.Identity, "identity")
			assert.Equal(t, tt.all, got.All, "all")
		})
	}
}

func TestListManifestsAndSharedSize(t *testing.T) {
	h := httpadapter.New(newFixture(), httpadapter.Options{})
	w := request(t, h, http.MethodGet, "/v1.54/images/json?manifests=1&shared-size=1&identity=1", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	elems := elements(t, w.Body.Bytes())
	assert.Equal(t, []string{"Containers", "Created", "Id", "Labels", "ParentId", "Descriptor", "Manifests",
		"RepoDigests", "RepoTags", "SharedSize", "Size"}, topKeys(t, elems[0]))

	var alpine struct {
		SharedSize int64
		Manifests  []json.RawMessage
	}
	require.NoError(t, json.Unmarshal(elems[0], &alpine))
	assert.Equal(t, int64(4096), alpine.SharedSize)
	require.Len(t, alpine.Manifests, 3)
	assert.Equal(t, []string{"ID", "Descriptor", "Available", "Size", "Kind", "ImageData"}, topKeys(t, alpine.Manifests[0]))
	assert.JSONEq(t, `{"Platform":{"architecture":"amd64","os":"linux"},
		"Identity":{"Pull":[{"Repository":"docker.io/library/alpine"}]},
		"Size":{"Unpacked":8848464},"Containers":["e3b0c442"]}`,
		string(decodeRaw(t, alpine.Manifests[0], "ImageData")))
	assert.JSONEq(t, `{"Content":3642412,"Total":12490876}`, string(decodeRaw(t, alpine.Manifests[0], "Size")))
	// Unused platforms: Containers is null, not [].
	assert.Contains(t, string(decodeRaw(t, alpine.Manifests[1], "ImageData")), `"Containers":null`)
	assert.Equal(t, []string{"ID", "Descriptor", "Available", "Size", "Kind", "AttestationData"}, topKeys(t, alpine.Manifests[2]))
	assert.JSONEq(t, `{"For":"`+idAmd64.String()+`"}`, string(decodeRaw(t, alpine.Manifests[2], "AttestationData")))

	// Identity is dropped without identity=1.
	w = request(t, h, http.MethodGet, "/v1.54/images/json?manifests=1", nil)
	assert.NotContains(t, w.Body.String(), "Identity")
}

func decodeRaw(t *testing.T, raw json.RawMessage, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	return m[key]
}

func TestListFilters(t *testing.T) {
	tests := []struct {
		name, query string
		want        map[string][]string
		status      int
		message     string
	}{
		{"map shape", `filters={"reference":{"alpine":true}}`, map[string][]string{"reference": {"alpine"}}, 200, ""},
		{"list shape", `filters={"reference":["alpine","busybox"]}`, map[string][]string{"reference": {"alpine", "busybox"}}, 200, ""},
		{"empty", `filters=`, map[string][]string{}, 200, ""},
		{"legacy filter", `filter=alpi*`, map[string][]string{"reference": {"alpi*"}}, 200, ""},
		{"legacy filter with other keys", `filter=alpi*&filters={"dangling":["false"]}`, map[string][]string{"reference": {"alpi*"}, "dangling": {"false"}}, 200, ""},
		{"legacy filter loses to reference", `filter=busy*&filters={"reference":["alpine"]}`, map[string][]string{"reference": {"alpine"}}, 200, ""},
		{"not an object of sets", `filters={"dangling":true}`, nil, 400, "invalid filter"},
		{"not JSON", `filters={`, nil, 400, "invalid filter"},
		{"unknown key", `filters={"foo":["bar"]}`, nil, 400, "invalid filter 'foo'"},
		{"bad dangling", `filters={"dangling":["True"]}`, nil, 400, "invalid filter 'dangling=[True]'"},
		{"bad query", `filters=%zz`, nil, 400, `invalid URL escape "%zz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			h := httpadapter.New(f, httpadapter.Options{})
			w := request(t, h, http.MethodGet, "/v1.56/images/json?"+escapeQuery(tt.query), nil)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.status != 200 {
				assert.Equal(t, `{"message":"`+strings.ReplaceAll(tt.message, `"`, `\"`)+`"}`+"\n", w.Body.String())
				return
			}
			got := f.last().listOpts.Filters
			for k, v := range tt.want {
				assert.Equal(t, v, got.Get(k), k)
			}
			assert.Equal(t, len(tt.want), got.Len())
		})
	}
}

// escapeQuery escapes the JSON characters of a hand-written query, keeping & and =.
func escapeQuery(q string) string {
	r := strings.NewReplacer(`{`, "%7B", `}`, "%7D", `"`, "%22", `[`, "%5B", `]`, "%5D", `*`, "%2A", ` `, "%20")
	return r.Replace(q)
}

func TestListFilterTrimsNames(t *testing.T) {
	h := httpadapter.New(newFixture(), httpadapter.Options{})
	w := request(t, h, http.MethodGet, "/images/json?"+escapeQuery(`filters={"reference":{"alpine:3.20":true}}`), nil)
	require.Equal(t, http.StatusOK, w.Code)
	elems := elements(t, w.Body.Bytes())
	require.Len(t, elems, 1)
	assert.Equal(t, []any{"alpine:3.20"}, decodeObject(t, elems[0])["RepoTags"])
}

func TestListEmptyIsArray(t *testing.T) {
	f := newFixture()
	f.images = nil
	h := httpadapter.New(f, httpadapter.Options{})
	for _, v := range []string{"/v1.41", "/v1.56"} {
		w := request(t, h, http.MethodGet, v+"/images/json", nil)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, "[]\n", w.Body.String())
	}
}

func TestListNilNames(t *testing.T) {
	f := newFixture()
	f.images = []imagesvc.Summary{{ID: idDangling, Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: idDangling}}}
	h := httpadapter.New(f, httpadapter.Options{})
	for version, want := range map[string]string{
		"1.41": `"RepoDigests":["<none>@<none>"],"RepoTags":["<none>:<none>"]`,
		"1.43": `"RepoDigests":[],"RepoTags":[]`,
		"1.56": `"RepoDigests":[],"RepoTags":[]`,
	} {
		w := request(t, h, http.MethodGet, "/v"+version+"/images/json", nil)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Contains(t, w.Body.String(), want, version)
		assert.Contains(t, w.Body.String(), `"Labels":null`, version)
	}
}
