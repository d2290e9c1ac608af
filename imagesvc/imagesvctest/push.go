package imagesvctest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// The push groups (spec §8). Each skips, naming the interface, when the service lacks
// Pusher (or Tagger, which they use to name what they push). They push to repositories
// under "push/" of the suite's registries, which no other group uses.

type pushResult struct {
	events []imagesvc.ProgressEvent
	err    error
}

// push pushes name (a repository with a tag, a digest, or neither) with the given
// platform and credentials.
func (s *suite) push(t *testing.T, p imagesvc.Pusher, name string, platform *ocispec.Platform, auth *imagesvc.AuthConfig) pushResult {
	t.Helper()
	ref, err := reference.ParseNormalizedNamed(name)
	require.NoError(t, err, name)
	rec := &recorder{}
	err = p.Push(context.Background(), imagesvc.PushRequest{Ref: ref, Platform: platform, Auth: auth}, rec.report)
	assert.False(t, rec.overlap.Load(), "progress events were reported concurrently")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	res := pushResult{events: append([]imagesvc.ProgressEvent(nil), rec.events...), err: err}
	require.NotEmpty(t, res.events, "push %s: no event", name)
	assert.Equal(t, imagesvc.PushRefersTo(ref), res.events[0], "the first event of every push")
	return res
}

func (s *suite) mustPush(t *testing.T, p imagesvc.Pusher, name string, platform *ocispec.Platform, auth *imagesvc.AuthConfig) pushResult {
	t.Helper()
	res := s.push(t, p, name, platform, auth)
	require.NoError(t, res.err, "push %s", name)
	return res
}

// finalStatuses returns the last status reported for each blob ID.
func finalStatuses(events []imagesvc.ProgressEvent) map[string]string {
	out := map[string]string{}
	for _, ev := range events {
		if ev.ID != "" {
			out[ev.ID] = ev.Status
		}
	}
	return out
}

// digestEvents returns the "<tag>: digest: ..." events, in order.
func digestEvents(events []imagesvc.ProgressEvent) []imagesvc.ProgressEvent {
	var out []imagesvc.ProgressEvent
	for _, ev := range events {
		if ev.ID == "" && ev.Aux == nil && strings.Contains(ev.Status, ": digest: sha256:") {
			out = append(out, ev)
		}
	}
	return out
}

func auxEvents(events []imagesvc.ProgressEvent) []imagesvc.PushAux {
	var out []imagesvc.PushAux
	for _, ev := range events {
		if ev.Aux != nil {
			out = append(out, *ev.Aux)
		}
	}
	return out
}

// remoteDigest returns the digest the registry at host serves for repo:tag, "" when it
// has none.
func remoteDigest(t *testing.T, host, repo, tag string, basic ...string) digest.Digest {
	t.Helper()
	req, err := http.NewRequest(http.MethodHead, "http://"+host+"/v2/"+repo+"/manifests/"+tag, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", strings.Join([]string{ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex,
		"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json"}, ", "))
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return digest.Digest(resp.Header.Get("Docker-Content-Digest"))
}

// blobUploads returns the logged requests that send blob content (PATCH or PUT of an
// upload, or a POST that is not a mount).
func blobUploads(log *testregistry.AccessLog) []string {
	var out []string
	for _, line := range log.All() {
		if strings.Contains(line, "/blobs/uploads/") && (strings.HasPrefix(line, "PUT ") || strings.HasPrefix(line, "PATCH ")) {
			out = append(out, line)
		}
	}
	return out
}

// testPush pulls an image, names it in a repository of another registry and pushes it:
// the registry then serves the same manifest, every layer was "Pushed", and the final
// record names the tag, digest and size of the target. A second push sends no blob and
// reports "Layer already exists" for every layer; a bare repository pushes every tag in
// name order.
func (s *suite) testPush(t *testing.T) {
	svc := s.service(t)
	p := capability[imagesvc.Pusher](t, svc, "Pusher")
	tg := capability[imagesvc.Tagger](t, svc, "Tagger")
	auth := &imagesvc.AuthConfig{Username: privateUser, Password: privatePassword}
	s.mustPull(t, svc, "library/single", "1.0")
	target := s.w.authHost + "/push/single"
	require.NoError(t, s.tryTag(t, tg, s.w.ref("library/single:1.0"), target+":1"))

	layers := layerIDs(t, s.w.single, s.w.single.Descriptor.Digest)
	res := s.mustPush(t, p, target+":1", nil, auth)
	final := finalStatuses(res.events)
	assert.Len(t, final, len(layers), "one job per layer, no config or manifest: %v", final)
	for _, id := range layers {
		assert.Equal(t, imagesvc.StatusPushed, final[id], "layer %s", id)
	}
	assert.Equal(t, imagesvc.PushDigest("1", s.w.single.Descriptor), res.events[len(res.events)-1], "the final record")
	assert.Empty(t, auxEvents(res.events))
	for _, ev := range res.events[1 : len(res.events)-1] {
		require.NotNil(t, ev.Detail, "blob records carry progressDetail: %+v", ev)
		assert.Contains(t, []string{imagesvc.StatusWaiting, imagesvc.StatusPushing, imagesvc.StatusPushed}, ev.Status)
	}
	assert.Equal(t, s.w.single.Descriptor.Digest, remoteDigest(t, s.w.authHost, "push/single", "1", privateUser, privatePassword))

	// Again: the registry has everything; nothing is sent.
	res = s.mustPush(t, p, target+":1", nil, auth)
	final = finalStatuses(res.events)
	assert.Len(t, final, len(layers), "%v", final)
	for _, id := range layers {
		assert.Equal(t, imagesvc.StatusLayerAlreadyExists, final[id], "layer %s", id)
	}
	assert.Equal(t, imagesvc.PushDigest("1", s.w.single.Descriptor), res.events[len(res.events)-1])

	// A bare repository: every tag, in name order, each with its final record; blobs the
	// registry has are not sent again.
	var log testregistry.AccessLog
	log.Watch(s.w.reg)
	t.Cleanup(func() { s.w.reg.SetHook(nil) })
	other := s.mustImport(t, svc, s.w.ref("push/bare:b"), nil)
	require.NoError(t, s.tryTag(t, tg, s.w.ref("library/single:1.0"), s.w.ref("push/bare:a")))
	require.NoError(t, s.tryTag(t, tg, s.w.ref("library/single:1.0"), s.w.ref("push/elsewhere:a")))
	res = s.mustPush(t, p, s.w.ref("push/bare"), nil, nil)
	got := digestEvents(res.events)
	require.Len(t, got, 2, "%v", res.events)
	assert.Equal(t, imagesvc.PushDigest("a", s.w.single.Descriptor), got[0])
	assert.True(t, strings.HasPrefix(got[1].Status, "b: digest: "+other.String()+" size: "), got[1].Status)
	assert.Equal(t, s.w.single.Descriptor.Digest, remoteDigest(t, s.w.host, "push/bare", "a"))
	assert.Equal(t, other, remoteDigest(t, s.w.host, "push/bare", "b"))
	assert.Empty(t, remoteDigest(t, s.w.host, "push/elsewhere", "a"), "another repository is not pushed")

	before := len(log.All())
	res = s.mustPush(t, p, s.w.ref("push/bare:b"), nil, nil)
	for id, st := range finalStatuses(res.events) {
		assert.Equal(t, imagesvc.StatusLayerAlreadyExists, st, "layer %s", id)
	}
	for _, line := range log.All()[before:] {
		assert.False(t, strings.Contains(line, "/blobs/uploads/"), "a blob the registry has is not sent again: %s", line)
	}
}

// testPushMount pushes a pulled image to another repository of the registry it came
// from: every layer is mounted from the pulled repository, none is uploaded, and the
// pushed repository then serves as a source for the next push.
func (s *suite) testPushMount(t *testing.T) {
	svc := s.service(t)
	p := capability[imagesvc.Pusher](t, svc, "Pusher")
	tg := capability[imagesvc.Tagger](t, svc, "Tagger")
	var log testregistry.AccessLog
	log.Watch(s.w.reg)
	t.Cleanup(func() { s.w.reg.SetHook(nil) })

	s.mustPull(t, svc, "library/tags", "v1")
	require.NoError(t, s.tryTag(t, tg, s.w.ref("library/tags:v1"), s.w.ref("push/mounted:1")))
	img := s.w.tags["v1"]
	layers := layerIDs(t, img, img.Descriptor.Digest)
	before := len(log.All())
	res := s.mustPush(t, p, s.w.ref("push/mounted:1"), nil, nil)
	final := finalStatuses(res.events)
	assert.Len(t, final, len(layers), "%v", final)
	for _, id := range layers {
		assert.Equal(t, imagesvc.MountedFrom("library/tags"), final[id], "layer %s", id)
	}
	assert.Equal(t, imagesvc.PushDigest("1", img.Descriptor), res.events[len(res.events)-1])
	assert.Equal(t, img.Descriptor.Digest, remoteDigest(t, s.w.host, "push/mounted", "1"))
	var mounts int
	for _, line := range log.All()[before:] {
		if strings.HasPrefix(line, "PATCH ") || (strings.HasPrefix(line, "PUT ") && strings.Contains(line, "/blobs/")) {
			t.Errorf("a mountable blob was uploaded: %s", line)
		}
		if strings.HasPrefix(line, "POST /v2/push/mounted/blobs/uploads/") {
			mounts++
		}
	}
	assert.GreaterOrEqual(t, mounts, len(layers), "the layers are mounted: %v", log.All()[before:])

	// The pushed repository is now a source too: a push to a third repository mounts
	// from one of them (containerd picks the source sharing the longest path prefix).
	require.NoError(t, s.tryTag(t, tg, s.w.ref("library/tags:v1"), s.w.ref("push/mounted/again:1")))
	res = s.mustPush(t, p, s.w.ref("push/mounted/again:1"), nil, nil)
	final = finalStatuses(res.events)
	for _, id := range layers {
		assert.Equal(t, imagesvc.MountedFrom("push/mounted"), final[id], "layer %s", id)
	}
	assert.Empty(t, blobUploads(&log), "nothing was uploaded")
}

// testPushPlatform pushes an index of which only the host's platform was pulled: without a
// platform, the present manifest is pushed instead of the index (with the aux record);
// with the platform, that manifest without aux; a platform the image lacks is NotFound.
func (s *suite) testPushPlatform(t *testing.T) {
	svc := s.service(t)
	p := capability[imagesvc.Pusher](t, svc, "Pusher")
	tg := capability[imagesvc.Tagger](t, svc, "Tagger")
	s.mustPull(t, svc, "library/multi", "1.0")
	require.NoError(t, s.tryTag(t, tg, s.w.ref("library/multi:1.0"), s.w.ref("push/multi:1")))
	amd64 := platformManifest(t, s.w.multi, "amd64")

	res := s.mustPush(t, p, s.w.ref("push/multi:1"), nil, nil)
	aux := auxEvents(res.events)
	require.Len(t, aux, 1, "%v", res.events)
	assert.True(t, aux[0].ManifestPushedInsteadOfIndex)
	require.NotNil(t, aux[0].OriginalIndex)
	require.NotNil(t, aux[0].SelectedManifest)
	assert.Equal(t, s.w.multi.Descriptor.Digest, aux[0].OriginalIndex.Digest)
	assert.Equal(t, ocispec.MediaTypeImageIndex, aux[0].OriginalIndex.MediaType)
	assert.Equal(t, amd64.Digest, aux[0].SelectedManifest.Digest)
	assert.Equal(t, amd64.Platform, aux[0].SelectedManifest.Platform, "the selected manifest as the index lists it")
	assert.Equal(t, imagesvc.PushDigest("1", amd64), res.events[len(res.events)-1], "the final record names the selected manifest")
	assert.Equal(t, amd64.Digest, remoteDigest(t, s.w.host, "push/multi", "1"))

	require.NoError(t, s.tryTag(t, tg, s.w.ref("library/multi:1.0"), s.w.ref("push/multi:2")))
	res = s.mustPush(t, p, s.w.ref("push/multi:2"), &ocispec.Platform{OS: "linux", Architecture: "amd64"}, nil)
	assert.Empty(t, auxEvents(res.events), "an explicit platform has no aux record")
	assert.Equal(t, imagesvc.PushDigest("2", amd64), res.events[len(res.events)-1])
	for id, st := range finalStatuses(res.events) {
		assert.Contains(t, []string{imagesvc.StatusLayerAlreadyExists, imagesvc.MountedFrom("push/multi"), imagesvc.MountedFrom("library/multi")}, st, "layer %s", id)
	}
	assert.Equal(t, amd64.Digest, remoteDigest(t, s.w.host, "push/multi", "2"))

	res = s.push(t, p, s.w.ref("push/multi:1"), &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, nil)
	requireErr(t, res.err, errdefs.ErrNotFound, "image with reference "+s.w.ref("push/multi:1")+
		" was found but does not provide the specified platform (linux/arm64/v8)")
	assert.Len(t, res.events, 1, "only the first record: %v", res.events)
}

// testPushErrors checks the in-stream errors of spec §8.2 and §8.4: a missing tag, a bare
// repository without tags, and the registry's refusals.
func (s *suite) testPushErrors(t *testing.T) {
	svc := s.service(t)
	p := capability[imagesvc.Pusher](t, svc, "Pusher")
	tg := capability[imagesvc.Tagger](t, svc, "Tagger")

	res := s.push(t, p, s.w.ref("push/nothere:1"), nil, nil)
	requireErr(t, res.err, errdefs.ErrNotFound, "tag does not exist: "+s.w.ref("push/nothere:1"))
	assert.Len(t, res.events, 1, "the start record only: %v", res.events)

	res = s.push(t, p, "nothere:latest", nil, nil)
	requireErr(t, res.err, errdefs.ErrNotFound, "tag does not exist: nothere:latest")

	res = s.push(t, p, s.w.ref("push/none"), nil, nil)
	requireErr(t, res.err, errdefs.ErrNotFound, "An image does not exist locally with the tag: "+s.w.ref("push/none"))
	assert.Len(t, res.events, 1, "%v", res.events)

	res = s.push(t, p, s.w.ref("push/none@"+s.w.single.Descriptor.Digest.String()), nil, nil)
	requireErr(t, res.err, errdefs.ErrNotFound, "tag does not exist: "+s.w.ref("push/none@"+s.w.single.Descriptor.Digest.String()))

	// The private repository: no credentials, wrong ones, then the right ones.
	s.mustPull(t, svc, "library/single", "1.0")
	private := s.w.ref("private/pushed:1")
	require.NoError(t, s.tryTag(t, tg, s.w.ref("library/single:1.0"), private))
	res = s.push(t, p, private, nil, nil)
	requireErr(t, res.err, errdefs.ErrUnauthenticated,
		"push access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials")

	res = s.push(t, p, private, nil, &imagesvc.AuthConfig{Username: privateUser, Password: "wrong"})
	require.Error(t, res.err)
	assert.ErrorIs(t, res.err, errdefs.ErrUnauthenticated, "%v", res.err)
	assert.Regexp(t, `^unknown: unexpected status from HEAD request to http://`+s.w.host+`/v2/private/pushed/blobs/sha256:[0-9a-f]{64}: 401 Unauthorized$`, res.err.Error())
	assert.NotContains(t, res.err.Error(), "wrong", "errors never carry the password")
	assert.Empty(t, remoteDigest(t, s.w.host, "private/pushed", "1", privateUser, privatePassword), "nothing was pushed")

	res = s.mustPush(t, p, private, nil, &imagesvc.AuthConfig{Username: privateUser, Password: privatePassword})
	assert.Equal(t, imagesvc.PushDigest("1", s.w.single.Descriptor), res.events[len(res.events)-1])
	assert.Equal(t, s.w.single.Descriptor.Digest, remoteDigest(t, s.w.host, "private/pushed", "1", privateUser, privatePassword))

	// A registry that cannot be reached.
	down := unreachableHost(t) + "/push/down:1"
	require.NoError(t, s.tryTag(t, tg, s.w.ref("library/single:1.0"), down))
	res = s.push(t, p, down, nil, nil)
	require.Error(t, res.err)
	assert.ErrorIs(t, res.err, errdefs.ErrUnavailable, "%v", res.err)
}
