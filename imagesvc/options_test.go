package imagesvc_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

func TestListOptionsValidate(t *testing.T) {
	assert.NoError(t, imagesvc.ListOptions{}.Validate())
	assert.NoError(t, imagesvc.ListOptions{Manifests: true, Identity: true}.Validate())
	err := imagesvc.ListOptions{Identity: true}.Validate()
	assert.True(t, errdefs.IsInvalidArgument(err))
	assert.Equal(t, "conflicting options: identity requires manifests=1", err.Error())
	err = imagesvc.ListOptions{Filters: filters.NewArgs(filters.Arg("colour", "red"))}.Validate()
	assert.True(t, errdefs.IsInvalidArgument(err))
	assert.Equal(t, "invalid filter 'colour'", err.Error())
}

func TestInspectOptionsValidate(t *testing.T) {
	p := &ocispec.Platform{OS: "linux", Architecture: "arm64"}
	assert.NoError(t, imagesvc.InspectOptions{Platform: p}.Validate())
	for _, tc := range []struct {
		o   imagesvc.InspectOptions
		msg string
	}{
		{imagesvc.InspectOptions{Manifests: true, Platform: p}, "conflicting options: manifests and platform options cannot both be set"},
		{imagesvc.InspectOptions{Platform: &ocispec.Platform{Variant: "v8"}}, "optional platform fields provided, but OS and Architecture are missing"},
		{imagesvc.InspectOptions{Platform: &ocispec.Platform{OS: "linux"}}, "both OS and Architecture must be provided"},
	} {
		err := tc.o.Validate()
		assert.True(t, errdefs.IsInvalidArgument(err))
		assert.Equal(t, tc.msg, err.Error())
	}
}

func TestAuthConfigNeverPrintsSecrets(t *testing.T) {
	a := &imagesvc.AuthConfig{Username: "u", Password: "hunter2", Auth: "dTpodW50ZXIy", IdentityToken: "tok-secret", RegistryToken: "reg-secret", ServerAddress: "r.example"}
	var sb strings.Builder
	log := slog.New(slog.NewTextHandler(&sb, nil))
	log.Info("pull", "auth", a)
	out := sb.String() + fmt.Sprint(a) + fmt.Sprintf("%v %s", a, a)
	for _, secret := range []string{"hunter2", "dTpodW50ZXIy", "tok-secret", "reg-secret"} {
		assert.NotContains(t, out, secret)
	}
	assert.Contains(t, out, "r.example")
	assert.False(t, a.Empty())
	var none *imagesvc.AuthConfig
	assert.True(t, none.Empty())
	assert.Equal(t, "AuthConfig{}", none.String())
	assert.True(t, (&imagesvc.AuthConfig{ServerAddress: "x"}).Empty())
	log.Info("pull", "auth", none)
}

func TestProgressHelpers(t *testing.T) {
	var got []imagesvc.ProgressEvent
	f := imagesvc.ProgressFunc(func(ev imagesvc.ProgressEvent) { got = append(got, ev) })
	f.Report(imagesvc.PullingFrom("library/alpine", "3.20"))
	f.Report(imagesvc.DigestStatus("sha256:abc"))
	f.Report(imagesvc.PullStatus("alpine:3.20", true))
	f.Report(imagesvc.PullStatus("alpine:3.20", false))
	imagesvc.ProgressFunc(nil).Report(imagesvc.ProgressEvent{Status: "dropped"})
	assert.Equal(t, []imagesvc.ProgressEvent{
		{ID: "3.20", Status: "Pulling from library/alpine"},
		{Status: "Digest: sha256:abc"},
		{Status: "Status: Downloaded newer image for alpine:3.20"},
		{Status: "Status: Image is up to date for alpine:3.20"},
	}, got)
}
