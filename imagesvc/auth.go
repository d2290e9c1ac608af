package imagesvc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/containerd/errdefs"
)

// DecodeRegistryAuth decodes an X-Registry-Auth header: base64url (RFC 4648 §5) of a JSON
// AuthConfig. Surrounding spaces are ignored, padding is optional and the standard
// alphabet is accepted too, as clients differ. An empty header, or credentials that are
// all empty ("{}"), give nil. Errors are InvalidArgument.
func DecodeRegistryAuth(header string) (*AuthConfig, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return nil, nil
	}
	raw, err := decodeBase64(header)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("invalid X-Registry-Auth header: must be a valid base64url-encoded string")
	}
	var auth AuthConfig
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&auth); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("invalid X-Registry-Auth header: invalid JSON: " + err.Error())
	}
	if auth.Empty() {
		return nil, nil
	}
	return &auth, nil
}

// DecodeBasicAuth decodes the auth field of an [AuthConfig], base64("username:password")
// in any of the encodings [DecodeRegistryAuth] accepts, and splits it at its first colon;
// without a colon, the whole is the user name and the password is empty. The error, an
// InvalidArgument, is for a field that is not base64.
func DecodeBasicAuth(s string) (user, password string, err error) {
	b, err := decodeBase64(strings.TrimSpace(s))
	if err != nil {
		return "", "", errdefs.ErrInvalidArgument.WithMessage("invalid auth field: not base64")
	}
	user, password, _ = strings.Cut(string(b), ":")
	return user, password, nil
}

// decodeBase64 decodes s in whichever of base64's four variants (URL or standard
// alphabet, padded or not) reads it. A string more than one reads decodes to the same
// bytes in each, so the order only chooses which error is returned.
func decodeBase64(s string) ([]byte, error) {
	var errs []error
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		b, err := enc.DecodeString(s)
		if err == nil {
			return b, nil
		}
		errs = append(errs, err)
	}
	return nil, errs[0]
}
