package httpadapter

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/containerd/platforms"
	"github.com/imageapi/imageapi/imagesvc"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// parseQuery parses the URL query of r. Errors are InvalidArgument, with Go's text, as
// Docker's httputils.ParseForm reports them.
func parseQuery(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalidParameter(err)
	}
	return q, nil
}

// boolValue reads a boolean parameter as Docker's httputils.BoolValue does: trimmed and
// lower-cased, "", "0", "no", "false" and "none" are false, anything else is true.
func boolValue(q url.Values, key string) bool {
	return parseBool(q.Get(key))
}

func parseBool(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) > 5 {
		return true
	}
	switch strings.ToLower(s) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// registryAuthHeader is the header that carries registry credentials.
const registryAuthHeader = "X-Registry-Auth"

// parsePlatformText parses the platform parameter of POST /images/create
// (os[/arch[/variant]]) with containerd/platforms, whose error texts Docker sends.
func parsePlatformText(s string) (*ocispec.Platform, error) {
	p, err := platforms.Parse(s)
	if err != nil {
		return nil, invalidParameter(err)
	}
	return &p, nil
}

// parsePlatformJSON parses the platform parameter of GET /images/{name}/json (a JSON OCI
// platform) as Docker's httputils.DecodePlatform does, with its error texts.
func parsePlatformJSON(s string) (*ocispec.Platform, error) {
	var p ocispec.Platform
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, errInvalid("failed to parse platform: " + err.Error())
	}
	if err := imagesvc.ValidatePlatform(p); err != nil {
		return nil, err
	}
	return &p, nil
}
