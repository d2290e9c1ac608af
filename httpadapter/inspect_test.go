package httpadapter_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
)

// TestInspectShapingPerVersion pins spec §3.3 for each API version.
func TestInspectShapingPerVersion(t *testing.T) {
	modern := []string{"Id", "RepoTags", "RepoDigests", "Comment", "Created", "Config", "Architecture", "Os",
		"Size", "RootFS", "Metadata", "Descriptor", "Identity"}
	tests := []struct {
		version string
		present []string
		absent  []string
		sorted  bool
		config  []string // keys of Config, in order
	}{
		{"1.41", []string{"VirtualSize", "Container", "ContainerConfig", "Parent", "Comment", "DockerVersion", "Author", "GraphDriver"},
			[]string{"Descriptor", "Identity"}, true,
			[]string{"AttachStderr", "AttachStdin", "AttachStdout", "Cmd", "Domainname", "Entrypoint", "Env", "Hostname", "Image",
				"Labels", "OnBuild", "OpenStdin", "StdinOnce", "Tty", "User", "Volumes", "WorkingDir"}},
		{"1.43", []string{"VirtualSize", "Container", "ContainerConfig", "Parent", "GraphDriver"}, []string{"Descriptor"}, true, nil},
		{"1.44", []string{"Container", "ContainerConfig", "Parent", "GraphDriver"}, []string{"VirtualSize", "Descriptor"}, true, nil},
		{"1.47", []string{"Parent", "DockerVersion", "Author", "GraphDriver"}, []string{"VirtualSize", "Container", "ContainerConfig", "Descriptor"}, true, nil},
		{"1.48", []string{"Descriptor", "Parent", "GraphDriver"}, []string{"VirtualSize", "Container", "Identity"}, true, nil},
		{"1.50", []string{"Descriptor", "Parent", "GraphDriver"}, []string{"Container"}, true,
			[]string{"Cmd", "Entrypoint", "Env", "Labels", "OnBuild", "User", "Volumes", "WorkingDir"}},
		{"1.51", []string{"Descriptor", "Parent", "GraphDriver", "Author"}, []string{"Container"}, true, nil},
		{"1.52", []string{"Descriptor"}, []string{"Parent", "DockerVersion", "Author", "GraphDriver", "Identity"}, false, []string{"Env", "Cmd"}},
		{"1.53", []string{"Descriptor", "Identity"}, []string{"Parent", "GraphDriver"}, false, nil},
		{"1.56", []string{"Descriptor", "Identity"}, []string{"Parent", "DockerVersion", "Author", "GraphDriver", "VirtualSize"}, false, []string{"Env", "Cmd"}},
	}
	h := httpadapter.New(newFixture(), httpadapter.Options{})
	for _, tt := range tests {
		t.Run("v"+tt.version, func(t *testing.T) {
			w := request(t, h, http.MethodGet, "/v"+tt.version+"/images/alpine:3.20/json", nil)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			raw := w.Body.Bytes()
			keys := topKeys(t, raw)
			for _, k := range tt.present {
				assert.Contains(t, keys, k)
			}
			for _, k := range tt.absent {
				assert.NotContains(t, keys, k)
			}
			if tt.sorted {
				assert.True(t, isSorted(keys), "keys sorted: %v", keys)
			} else {
				assert.Equal(t, modernKeysFor(tt.version, modern), keys)
			}
			obj := decodeObject(t, raw)
			if tt.config != nil {
				cfgKeys := topKeys(t, decodeRaw(t, raw, "Config"))
				if tt.sorted {
					for _, k := range tt.config {
						assert.Contains(t, cfgKeys, k)
					}
					assert.True(t, isSorted(cfgKeys))
				} else {
					assert.Equal(t, tt.config, cfgKeys)
				}
			}
			if _, ok := obj["VirtualSize"]; ok {
				assert.Equal(t, obj["Size"], obj["VirtualSize"])
			}
			if gd, ok := obj["GraphDriver"]; ok {
				assert.Equal(t, map[string]any{"Name": "overlayfs", "Data": nil}, gd)
			}
			if _, ok := obj["Container"]; ok {
				assert.Equal(t, "", obj["Container"])
				assert.Nil(t, obj["ContainerConfig"])
			}
			assert.Equal(t, "2025-02-14T00:00:00Z", obj["Created"])
			assert.Equal(t, map[string]any{"LastTagTime": "2025-03-01T12:30:00.123456789Z"}, obj["Metadata"])
			assert.NotContains(t, obj, "Manifests")
		})
	}
}

func modernKeysFor(version string, modern []string) []string {
	if version == "1.52" {
		out := []string{}
		for _, k := range modern {
			if k != "Identity" {
				out = append(out, k)
			}
		}
		return out
	}
	return modern
}

func TestInspectLegacyBuilderFieldsSortKeys(t *testing.T) {
	h := httpadapter.New(newFixture(), httpadapter.Options{})
	w := request(t, h, http.MethodGet, "/v1.56/images/legacy:1/json", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	keys := topKeys(t, w.Body.Bytes())
	assert.True(t, isSorted(keys), "%v", keys)
	obj := decodeObject(t, w.Body.Bytes())
	assert.Equal(t, "18.09.7", obj["DockerVersion"])
	assert.NotEmpty(t, obj["Parent"])
	assert.NotContains(t, obj, "Author")
	assert.NotContains(t, obj, "Comment")
	assert.Equal(t, map[string]any{}, obj["Config"])
}

func TestInspectEmptyImage(t *testing.T) {
	h := httpadapter.New(newFixture(), httpadapter.Options{})
	w := request(t, h, http.MethodGet, "/v1.43/images/empty/json", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	obj := decodeObject(t, w.Body.Bytes())
	assert.Equal(t, "0001-01-01T00:00:00Z", obj["Created"])
	assert.Equal(t, map[string]any{"LastTagTime": "0001-01-01T00:00:00Z"}, obj["Metadata"])
	assert.Equal(t, []any{}, obj["RepoTags"])
	assert.Equal(t, []any{}, obj["RepoDigests"])
	assert.Equal(t, map[string]any{}, obj["RootFS"])

	w = request(t, h, http.MethodGet, "/v1.56/images/empty/json", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	obj = decodeObject(t, w.Body.Bytes())
	assert.NotContains(t, obj, "Created")
	assert.NotContains(t, obj, "Descriptor")
	assert.Equal(t, map[string]any{"LastTagTime": "0001-01-01T00:00:00Z"}, obj["Metadata"])
	assert.Equal(t, []any{}, obj["RepoTags"])
}

func TestInspectManifestsAndPlatform(t *testing.T) {
	tests := []struct {
		name, target string
		status       int
		message      string
		manifests    bool
		platform     string
	}{
		{"manifests ignored below 1.48", "/v1.47/images/alpine:3.20/json?manifests=1", 200, "", false, ""},
		{"manifests", "/v1.48/images/alpine:3.20/json?manifests=1", 200, "", true, ""},
		{"manifests false", "/v1.48/images/alpine:3.20/json?manifests=false", 200, "", false, ""},
		{"platform ignored below 1.49", "/v1.48/images/alpine:3.20/json?platform=" + escapeQuery(`{bad`), 200, "", false, ""},
		{"platform", "/v1.49/images/alpine:3.20/json?platform=" + escapeQuery(`{"os":"linux","architecture":"amd64"}`), 200, "", false, "linux/amd64"},
		{"platform not provided", "/v1.49/images/alpine:3.20/json?platform=" + escapeQuery(`{"os":"linux","architecture":"arm64","variant":"v8"}`), 404,
			"image with reference alpine:3.20 was found but does not provide the specified platform (linux/arm64/v8)", false, ""},
		{"platform not JSON", "/v1.49/images/alpine:3.20/json?platform=linux/amd64", 400,
			"failed to parse platform: invalid character 'l' looking for beginning of value", false, ""},
		{"platform optional only", "/v1.49/images/alpine:3.20/json?platform=" + escapeQuery(`{"variant":"v8"}`), 400,
			"optional platform fields provided, but OS and Architecture are missing", false, ""},
		{"platform empty object", "/v1.49/images/alpine:3.20/json?platform=" + escapeQuery(`{}`), 400,
			"both OS and Architecture must be provided", false, ""},
		{"platform without arch", "/v1.49/images/alpine:3.20/json?platform=" + escapeQuery(`{"os":"linux"}`), 400,
			"both OS and Architecture must be provided", false, ""},
		{"manifests and platform", "/v1.49/images/alpine:3.20/json?manifests=1&platform=" + escapeQuery(`{"os":"linux","architecture":"amd64"}`), 400,
			"conflicting options: manifests and platform options cannot both be set", false, ""},
		{"bad name", "/images/Foo/json", 400, "invalid reference format: repository name (library/Foo) must be lowercase", false, ""},
		{"unknown", "/images/foo/json", 404, "No such image: foo:latest", false, ""},
		{"unknown digest", "/images/sha256:" + idEmpty.Encoded()[:4] + idBusybox.Encoded()[4:] + "/json", 404,
			"No such image: sha256:" + idEmpty.Encoded()[:4] + idBusybox.Encoded()[4:], false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			h := httpadapter.New(f, httpadapter.Options{})
			w := request(t, h, http.MethodGet, tt.target, nil)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.status != 200 {
				assert.JSONEq(t, `{"message":`+jsonString(tt.message)+`}`, w.Body.String())
				return
			}
			got := f.last().inspectOpts
			assert.Equal(t, tt.manifests, got.Manifests)
			obj := decodeObject(t, w.Body.Bytes())
			if tt.manifests {
				require.Len(t, obj["Manifests"], 3)
			} else {
				assert.NotContains(t, obj, "Manifests")
			}
			if tt.platform != "" {
				require.NotNil(t, got.Platform)
				assert.Equal(t, tt.platform, got.Platform.OS+"/"+got.Platform.Architecture)
				assert.Equal(t, idAmd64.String(), obj["Id"])
			} else {
				assert.Nil(t, got.Platform)
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := jsonMarshalNoEscape(s)
	return string(b)
}
