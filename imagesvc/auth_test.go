package imagesvc_test

import (
	"encoding/base64"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

func TestDecodeBasicAuth(t *testing.T) {
	// "u:??>>~~" encodes with '+' and '/' in the standard alphabet, and needs padding.
	const creds = "u:??>>~~"
	encodings := map[string]*base64.Encoding{
		"std": base64.StdEncoding, "url": base64.URLEncoding,
		"raw std": base64.RawStdEncoding, "raw url": base64.RawURLEncoding,
	}
	for name, enc := range encodings {
		s := enc.EncodeToString([]byte(creds))
		for _, in := range []string{s, " " + s + "\n"} {
			user, password, err := imagesvc.DecodeBasicAuth(in)
			require.NoError(t, err, "%s %q", name, in)
			assert.Equal(t, "u", user, name)
			assert.Equal(t, "??>>~~", password, name)
		}
	}
	require.NotEqual(t, base64.StdEncoding.EncodeToString([]byte(creds)), base64.URLEncoding.EncodeToString([]byte(creds)),
		"the case exercises both alphabets")

	user, password, err := imagesvc.DecodeBasicAuth(base64.StdEncoding.EncodeToString([]byte("alice:pa:ss")))
	require.NoError(t, err)
	assert.Equal(t, [2]string{"alice", "pa:ss"}, [2]string{user, password}, "split at the first colon")

	user, password, err = imagesvc.DecodeBasicAuth(base64.StdEncoding.EncodeToString([]byte("alice")))
	require.NoError(t, err)
	assert.Equal(t, [2]string{"alice", ""}, [2]string{user, password}, "no colon: all user name")

	_, _, err = imagesvc.DecodeBasicAuth("!!!not base64!!!")
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
}

func TestDecodeRegistryAuth(t *testing.T) {
	const creds = `{"username":"joe","password":"s3cr<t>?","serveraddress":"registry.example.com"}`
	want := &imagesvc.AuthConfig{Username: "joe", Password: "s3cr<t>?", ServerAddress: "registry.example.com"}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		got, err := imagesvc.DecodeRegistryAuth(" " + enc.EncodeToString([]byte(creds)) + " ")
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	for _, empty := range []string{"", "  ", base64.URLEncoding.EncodeToString([]byte("{}"))} {
		got, err := imagesvc.DecodeRegistryAuth(empty)
		assert.NoError(t, err)
		assert.Nil(t, got, "%q", empty)
	}
	for in, msg := range map[string]string{
		"!!!not base64!!!": "invalid X-Registry-Auth header: must be a valid base64url-encoded string",
		base64.URLEncoding.EncodeToString([]byte("user:pass")): "invalid X-Registry-Auth header: invalid JSON: invalid character 'u' looking for beginning of value",
	} {
		got, err := imagesvc.DecodeRegistryAuth(in)
		assert.Nil(t, got)
		assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
		assert.EqualError(t, err, msg)
	}
}
