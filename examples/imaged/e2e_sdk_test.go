package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/testimages"
)

func findSummary(items []image.Summary, id digest.Digest) (image.Summary, bool) {
	i := slices.IndexFunc(items, func(s image.Summary) bool { return s.ID == id.String() })
	if i < 0 {
		return image.Summary{}, false
	}
	return items[i], true
}

func sdkContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestSDKImageList(t *testing.T) {
	f := env(t)
	ctx := sdkContext(t)
	c := sdk(t, f)
	appRepo := f.ref("e2e/app")

	res, err := c.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	app, ok := findSummary(res.Items, f.app.Descriptor.Digest)
	if !ok {
		t.Fatalf("ImageList: no %s", f.app.Descriptor.Digest)
	}
	tags := slices.Sorted(slices.Values(app.RepoTags))
	if want := []string{appRepo + ":latest", appRepo + ":v1", appRepo + ":v2"}; !slices.Equal(tags, want) {
		t.Errorf("app RepoTags %v, want %v", tags, want)
	}
	if want := []string{appRepo + "@" + f.app.Descriptor.Digest.String()}; !slices.Equal(app.RepoDigests, want) {
		t.Errorf("app RepoDigests %v, want %v", app.RepoDigests, want)
	}
	if app.Created != date("2025-01-01").Unix() || app.Labels[labelTeam] != "blue" || app.Labels[labelTier] != "web" ||
		app.Containers != 0 || app.SharedSize != -1 || app.ParentID != "" || app.Size <= f.app.Size() {
		t.Errorf("app summary: %+v", app)
	}
	if app.Descriptor == nil || app.Descriptor.Digest != f.app.Descriptor.Digest || app.Descriptor.MediaType != f.app.Descriptor.MediaType || app.Descriptor.Size != f.app.Descriptor.Size {
		t.Errorf("app Descriptor %+v, want %+v", app.Descriptor, f.app.Descriptor)
	}
	if app.Manifests != nil {
		t.Errorf("app Manifests %+v without manifests=1", app.Manifests)
	}
	child, ok := findSummary(res.Items, f.child.Descriptor.Digest)
	if !ok || child.ParentID != f.base.Descriptor.Digest.String() {
		t.Errorf("child ParentId %q, want the parent label %s", child.ParentID, f.base.Descriptor.Digest)
	}

	t.Run("filters", func(t *testing.T) {
		res, err := c.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", appRepo)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 1 || res.Items[0].ID != f.app.Descriptor.Digest.String() {
			t.Errorf("reference=%s: %+v", appRepo, res.Items)
		}
		res, err = c.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", appRepo+":v2")})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 1 || !slices.Equal(res.Items[0].RepoTags, []string{appRepo + ":v2"}) {
			t.Errorf("reference=%s:v2 does not trim RepoTags to the match: %+v", appRepo, res.Items)
		}
		res, err = c.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("label", labelTeam+"=blue").Add("before", f.ref("e2e/child:1"))})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range res.Items {
			ids = append(ids, s.ID)
		}
		if !slices.Equal(ids, []string{f.app.Descriptor.Digest.String()}) {
			t.Errorf("label=%s=blue, before=child: %v, want only app", labelTeam, ids)
		}
		res, err = c.ImageList(ctx, client.ImageListOptions{All: true, Filters: make(client.Filters).Add("dangling", "true")})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range res.Items {
			if len(s.RepoTags) != 0 || len(s.RepoDigests) != 0 {
				t.Errorf("dangling=true lists a named image: %+v", s)
			}
		}
		if f.importErr == nil {
			if _, ok := findSummary(res.Items, digest.Digest(f.danglingID)); !ok {
				t.Errorf("dangling=true misses the dangling import %s", f.danglingID)
			}
		}
		_, err = c.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("dangling", "maybe")})
		if !cerrdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "invalid filter 'dangling=[maybe]'") {
			t.Errorf("dangling=maybe: %v, want invalid filter 'dangling=[maybe]'", err)
		}
	})

	t.Run("manifests", func(t *testing.T) {
		res, err := c.ImageList(ctx, client.ImageListOptions{Manifests: true, Filters: make(client.Filters).Add("reference", f.ref("e2e/multi"))})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 1 {
			t.Fatalf("multi: %d images", len(res.Items))
		}
		checkMultiManifests(t, f, f.multi, res.Items[0].Manifests, map[string]bool{f.platformString(f.host): true})
		if res.Items[0].Created != date("2025-03-01").Unix() || res.Items[0].Labels[labelTeam] != "red" {
			t.Errorf("multi summary: %+v", res.Items[0])
		}
	})

	t.Run("shared-size", func(t *testing.T) {
		res, err := c.ImageList(ctx, client.ImageListOptions{SharedSize: true,
			Filters: make(client.Filters).Add("reference", f.ref("e2e/base"), f.ref("e2e/child"), appRepo)})
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := f.base.Manifest(f.base.Descriptor.Digest)
		if err != nil {
			t.Fatal(err)
		}
		shared := m.Layers[0].Size // base's only layer is child's first
		for _, id := range []digest.Digest{f.base.Descriptor.Digest, f.child.Descriptor.Digest} {
			s, ok := findSummary(res.Items, id)
			if !ok || s.SharedSize < shared {
				t.Errorf("SharedSize of %s: %d, want at least the shared layer's %d", id, s.SharedSize, shared)
			}
		}
		if s, ok := findSummary(res.Items, f.app.Descriptor.Digest); !ok || s.SharedSize != 0 {
			t.Errorf("SharedSize of app, which shares nothing: %d", s.SharedSize)
		}
	})

	t.Run("api1.41", func(t *testing.T) {
		c41 := sdk(t, f, client.WithAPIVersion("1.41"))
		res, err := c41.ImageList(ctx, client.ImageListOptions{All: true, Manifests: true, SharedSize: true})
		if err != nil {
			t.Fatal(err)
		}
		app, ok := findSummary(res.Items, f.app.Descriptor.Digest)
		if !ok {
			t.Fatal("app missing at API 1.41")
		}
		if app.Descriptor != nil || app.Manifests != nil || app.Containers != -1 || app.SharedSize != -1 || len(app.RepoTags) != 3 {
			t.Errorf("app at API 1.41 (no Descriptor, no Manifests, Containers -1, shared-size ignored): %+v", app)
		}
	})
}

// checkMultiManifests checks the manifests of an OCIIndex image with attestations built by
// the fixture: the image manifests in index order, then the attestations, each for its
// image; available says which platforms were pulled.
func checkMultiManifests(t *testing.T, f *fixture, img *testimages.Image, got []image.ManifestSummary, available map[string]bool) {
	t.Helper()
	want := img.Manifests()
	if len(got) != len(want) {
		t.Fatalf("%d manifests, want %d: %+v", len(got), len(want), got)
	}
	for i, d := range want {
		m := got[i]
		if m.ID != d.Digest.String() || m.Descriptor.Digest != d.Digest || m.Descriptor.MediaType != d.MediaType || m.Descriptor.Size != d.Size {
			t.Errorf("manifest %d: ID %s Descriptor %+v, want %s", i, m.ID, m.Descriptor, d.Digest)
			continue
		}
		if d.Annotations[testimages.AnnotationReferenceType] == testimages.AttestationManifestType {
			if m.Kind != image.ManifestKindAttestation || m.AttestationData == nil || m.AttestationData.For.String() != d.Annotations[testimages.AnnotationReferenceDigest] || m.ImageData != nil {
				t.Errorf("manifest %d (attestation): %+v", i, m)
			}
			continue
		}
		p := f.platformString(*d.Platform)
		if m.Kind != image.ManifestKindImage || m.ImageData == nil || m.AttestationData != nil {
			t.Errorf("manifest %d (%s): Kind %s, ImageData %v", i, p, m.Kind, m.ImageData)
			continue
		}
		if f.platformString(m.ImageData.Platform) != p {
			t.Errorf("manifest %d: ImageData.Platform %+v, want %s", i, m.ImageData.Platform, p)
		}
		if m.Available != available[p] {
			t.Errorf("manifest %d (%s): Available %v, want %v", i, p, m.Available, available[p])
		}
		if m.Size.Total != m.Size.Content+m.ImageData.Size.Unpacked {
			t.Errorf("manifest %d (%s): Size.Total %d != Content %d + Unpacked %d", i, p, m.Size.Total, m.Size.Content, m.ImageData.Size.Unpacked)
		}
		if available[p] && (m.Size.Content <= d.Size || m.ImageData.Size.Unpacked <= 0) {
			t.Errorf("manifest %d (%s, pulled): sizes %+v / %+v", i, p, m.Size, m.ImageData.Size)
		}
		if !available[p] && m.ImageData.Size.Unpacked != 0 {
			t.Errorf("manifest %d (%s, not pulled): Unpacked %d", i, p, m.ImageData.Size.Unpacked)
		}
	}
}

func TestSDKImageInspect(t *testing.T) {
	f := env(t)
	ctx := sdkContext(t)
	c := sdk(t, f)
	appRef := f.ref("e2e/app:v1")

	var raw bytes.Buffer
	res, err := c.ImageInspect(ctx, appRef, client.ImageInspectWithRawResponse(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != f.app.Descriptor.Digest.String() || res.Created != "2025-01-01T00:00:00Z" || res.Author != "imageapi e2e" ||
		res.Os != "linux" || res.Architecture != "amd64" || res.Config == nil || res.Config.User != "app" ||
		!slices.Equal(res.Config.Entrypoint, []string{"/bin/app"}) || res.Descriptor == nil || res.Descriptor.Digest != f.app.Descriptor.Digest {
		t.Errorf("ImageInspect %s: %+v", appRef, res.InspectResponse)
	}
	if res.Metadata.LastTagTime.IsZero() {
		t.Errorf("ImageInspect %s: LastTagTime is zero (the containerd store reports when the name was written)", appRef)
	}
	var rawMap map[string]any
	if err := json.Unmarshal(raw.Bytes(), &rawMap); err != nil || rawMap["Id"] != res.ID {
		t.Errorf("raw response: %v %s", err, raw.String())
	}

	multi := f.ref("e2e/multi:1.0")
	res, err = c.ImageInspect(ctx, multi, client.ImageInspectWithManifests(true))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != f.multi.Descriptor.Digest.String() || res.Descriptor == nil || res.Descriptor.MediaType != ocispec.MediaTypeImageIndex {
		t.Errorf("ImageInspect %s: Id %s Descriptor %+v", multi, res.ID, res.Descriptor)
	}
	checkMultiManifests(t, f, f.multi, res.Manifests, map[string]bool{f.platformString(f.host): true})

	host := f.host
	res, err = c.ImageInspect(ctx, multi, client.ImageInspectWithPlatform(&host))
	if err != nil {
		t.Fatal(err)
	}
	if want := f.multi.Manifests()[0].Digest.String(); res.ID != want || res.Architecture != host.Architecture || res.Manifests != nil {
		t.Errorf("ImageInspect %s on %s: Id %s Architecture %s, want %s", multi, f.platformString(host), res.ID, res.Architecture, want)
	}
	other := f.other
	_, err = c.ImageInspect(ctx, multi, client.ImageInspectWithPlatform(&other))
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "does not provide the specified platform ("+f.platformString(other)+")") {
		t.Errorf("ImageInspect %s on %s (not pulled): %v", multi, f.platformString(other), err)
	}
	_, err = c.ImageInspect(ctx, multi, client.ImageInspectWithPlatform(&host), client.ImageInspectWithManifests(true))
	if !cerrdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "conflicting options: manifests and platform options cannot both be set") {
		t.Errorf("ImageInspect with manifests and platform: %v", err)
	}

	_, err = c.ImageInspect(ctx, "nosuch")
	if !cerrdefs.IsNotFound(err) || err.Error() != "Error response from daemon: No such image: nosuch:latest" {
		t.Errorf("ImageInspect nosuch: %v", err)
	}

	// Pinned to API 1.41: no Descriptor, the legacy keys in the raw answer.
	c41 := sdk(t, f, client.WithAPIVersion("1.41"))
	raw.Reset()
	res, err = c41.ImageInspect(ctx, appRef, client.ImageInspectWithRawResponse(&raw))
	if err != nil {
		t.Fatal(err)
	}
	rawMap = nil
	_ = json.Unmarshal(raw.Bytes(), &rawMap)
	if res.Descriptor != nil || rawMap["VirtualSize"] == nil || rawMap["Container"] == nil || res.ID != f.app.Descriptor.Digest.String() {
		t.Errorf("ImageInspect at API 1.41: %s", raw.String())
	}
	if _, err := c41.ImageInspect(ctx, multi, client.ImageInspectWithManifests(true)); err == nil {
		t.Errorf("ImageInspect with manifests at API 1.41: the client should refuse (manifests needs 1.48)")
	}
}

// pushBroken pushes a one-platform index whose layer is then deleted from the registry, so
// that a pull fails after its stream started.
func pushBroken(t *testing.T, f *fixture, repo, tag string, seed uint64) {
	t.Helper()
	ctx := sdkContext(t)
	img, err := testimages.OCIIndex([]testimages.Config{{Platform: f.host, Seed: seed}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := testimages.Push(ctx, f.reg, repo, tag, img, true, nil); err != nil {
		t.Fatal(err)
	}
	m, _, err := img.Manifest(img.Manifests()[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, "http://"+f.reg+"/v2/"+repo+"/blobs/"+m.Layers[0].Digest.String(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delete a layer of %s:%s from the registry: %s", repo, tag, resp.Status)
	}
}

func TestSDKImagePull(t *testing.T) {
	f := env(t)
	ctx := sdkContext(t)
	c := sdk(t, f)
	ref := f.ref("e2e/sdk:1")

	// The host's platform, read through the SDK's own stream decoder (JSONMessages).
	pull := func(c *client.Client, ref string, opts client.ImagePullOptions) (string, error) {
		t.Helper()
		resp, err := c.ImagePull(ctx, ref, opts)
		if err != nil {
			return "", err
		}
		defer resp.Close()
		return renderStream(resp.JSONMessages(ctx))
	}
	out, err := pull(c, ref, client.ImagePullOptions{})
	if err != nil {
		t.Fatalf("ImagePull %s: %v\n%s", ref, err, out)
	}
	for _, want := range []string{
		"1: Pulling from e2e/sdk\n",
		"Digest: " + f.sdkImg.Descriptor.Digest.String() + "\n",
		"Status: Downloaded newer image for " + ref + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ImagePull %s: no %q in\n%s", ref, want, out)
		}
	}
	hostManifest, otherManifest := f.sdkImg.Manifests()[0].Digest, f.sdkImg.Manifests()[1].Digest
	m, _, err := f.sdkImg.Manifest(hostManifest)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, shortID(m.Layers[0].Digest)+": Pull complete\n") {
		t.Errorf("ImagePull %s: the layer %s is not reported complete:\n%s", ref, shortID(m.Layers[0].Digest), out)
	}
	other := f.other
	if _, err := c.ImageInspect(ctx, ref, client.ImageInspectWithPlatform(&other)); !cerrdefs.IsNotFound(err) {
		t.Errorf("the platform %s was pulled without being asked for: %v", f.platformString(other), err)
	}

	// Another platform of the same image, then both are available.
	out, err = pull(c, ref, client.ImagePullOptions{Platforms: []ocispec.Platform{other}})
	if err != nil {
		t.Fatalf("ImagePull %s for %s: %v\n%s", ref, f.platformString(other), err, out)
	}
	res, err := c.ImageInspect(ctx, ref, client.ImageInspectWithPlatform(&other))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != otherManifest.String() || res.Architecture != other.Architecture || res.Variant != other.Variant {
		t.Errorf("ImageInspect %s on %s: Id %s %s/%s", ref, f.platformString(other), res.ID, res.Architecture, res.Variant)
	}
	res, err = c.ImageInspect(ctx, ref, client.ImageInspectWithManifests(true))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != f.sdkImg.Descriptor.Digest.String() {
		t.Errorf("ImageInspect %s: Id %s, want the index %s", ref, res.ID, f.sdkImg.Descriptor.Digest)
	}
	checkMultiManifests(t, f, f.sdkImg, res.Manifests, map[string]bool{f.platformString(f.host): true, f.platformString(other): true})

	// Unknown repository: an HTTP error before the stream, classed NotFound.
	if _, err := c.ImagePull(ctx, f.ref("e2e/nosuch:1"), client.ImagePullOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("ImagePull of an unknown repository: %v, want NotFound", err)
	}
	// A layer missing in the registry: the failure arrives in the stream, which the
	// decoder turns into an error.
	pushBroken(t, f, "e2e/broken-sdk", "1", 300)
	out, err = pull(c, f.ref("e2e/broken-sdk:1"), client.ImagePullOptions{})
	if err == nil {
		t.Errorf("ImagePull of an image with a missing layer: no error\n%s", out)
	}
	resp, err := c.ImagePull(ctx, f.ref("e2e/broken-sdk:1"), client.ImagePullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Wait(ctx); err == nil {
		t.Errorf("ImagePullResponse.Wait of an image with a missing layer: no error")
	}

	// At API 1.41, through the SDK's message iterator: the image is up to date.
	c41 := sdk(t, f, client.WithAPIVersion("1.41"))
	resp, err = c41.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if msg.Error != nil {
			t.Fatalf("ImagePull at 1.41: %v", msg.Error)
		}
		statuses = append(statuses, msg.Status)
	}
	if !slices.Contains(statuses, "Status: Image is up to date for "+ref) {
		t.Errorf("ImagePull at API 1.41: %q", statuses)
	}
}

func TestSDKImageImport(t *testing.T) {
	f := env(t)
	ctx := sdkContext(t)
	c := sdk(t, f)
	raw := testimages.Tar([]testimages.File{{Name: "w/"}, {Name: "w/sdk", Data: []byte("sdk\n")}})

	imp := func(c *client.Client, ref string, opts client.ImageImportOptions) (string, error) {
		t.Helper()
		rc, err := c.ImageImport(ctx, client.ImageImportSource{Source: bytes.NewReader(testimages.Gzip(raw)), SourceName: "-"}, ref, opts)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		out, err := renderStream(decodeStream(rc))
		return strings.TrimSpace(out), err
	}
	id, err := imp(c, "e2e/imported:sdk", client.ImageImportOptions{
		Message: "from the sdk",
		Changes: []string{"ENV SDK=1", "LABEL " + labelTeam + "=sdk", "EXPOSE 8080/tcp", "WORKDIR /w", "USER nobody", `ENTRYPOINT ["/w/sdk"]`, "STOPSIGNAL SIGINT"},
	})
	if err != nil {
		t.Fatalf("ImageImport: %v\n%s", err, id)
	}
	if _, err := digest.Parse(id); err != nil {
		t.Fatalf("ImageImport: the stream printed %q, not the image ID", id)
	}
	res, err := c.ImageInspect(ctx, "e2e/imported:sdk")
	if err != nil {
		t.Fatal(err)
	}
	cfg := res.Config
	if res.ID != id || res.Comment != "from the sdk" || cfg == nil || !slices.Contains(cfg.Env, "SDK=1") ||
		cfg.Labels[labelTeam] != "sdk" || cfg.WorkingDir != "/w" || cfg.User != "nobody" || cfg.StopSignal != "SIGINT" ||
		!slices.Equal(cfg.Entrypoint, []string{"/w/sdk"}) || len(cfg.ExposedPorts) != 1 {
		t.Errorf("imported image: %+v config %+v", res.InspectResponse, cfg)
	}
	if !slices.Equal(res.RootFS.Layers, []string{digest.FromBytes(raw).String()}) || res.Architecture != f.host.Architecture {
		t.Errorf("imported image: RootFS %+v Architecture %s", res.RootFS, res.Architecture)
	}
	list, err := c.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("label", labelTeam+"=sdk")})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != id {
		t.Errorf("ImageList label=%s=sdk: %v %+v", labelTeam, err, list.Items)
	}

	// The platform option sets the new image's platform.
	id, err = imp(c, "e2e/imported:sdk-other", client.ImageImportOptions{Platform: f.other})
	if err != nil {
		t.Fatalf("ImageImport for %s: %v", f.platformString(f.other), err)
	}
	res, err = c.ImageInspect(ctx, "e2e/imported:sdk-other")
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != id || res.Architecture != f.other.Architecture || res.Variant != f.other.Variant {
		t.Errorf("ImageImport for %s: %s %s/%s", f.platformString(f.other), res.ID, res.Architecture, res.Variant)
	}

	// A change Docker does not allow: 400 before any output.
	_, err = imp(c, "e2e/imported:bad", client.ImageImportOptions{Changes: []string{"RUN true"}})
	if !cerrdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "RUN is not a valid change command") {
		t.Errorf("ImageImport with RUN: %v", err)
	}

	// At API 1.41.
	c41 := sdk(t, f, client.WithAPIVersion("1.41"))
	id, err = imp(c41, "e2e/imported:sdk-141", client.ImageImportOptions{Changes: []string{"CMD [\"sh\"]"}})
	if err != nil {
		t.Fatalf("ImageImport at API 1.41: %v", err)
	}
	res, err = c41.ImageInspect(ctx, "e2e/imported:sdk-141")
	if err != nil || res.ID != id || res.Config == nil || !slices.Equal(res.Config.Cmd, []string{"sh"}) {
		t.Errorf("ImageImport at API 1.41: %v %+v", err, res.InspectResponse)
	}
}

// renderStream prints a JSON message stream as the docker CLI does without a terminal
// ("<id>: <status>" or "<status>", one per line) and returns the first in-stream error.
// (The SDK's jsonmessage package would do the same, but it needs github.com/moby/term,
// which this module does not require.)
func renderStream(msgs iter.Seq2[jsonstream.Message, error]) (string, error) {
	var b strings.Builder
	for m, err := range msgs {
		if err != nil {
			return b.String(), err
		}
		if m.Error != nil {
			return b.String(), fmt.Errorf("in-stream error: %s", m.Error.Message)
		}
		if m.ID != "" {
			b.WriteString(m.ID + ": ")
		}
		b.WriteString(m.Status + "\n")
	}
	return b.String(), nil
}

// decodeStream decodes a JSON message stream (an import's answer).
func decodeStream(r io.Reader) iter.Seq2[jsonstream.Message, error] {
	return func(yield func(jsonstream.Message, error) bool) {
		dec := json.NewDecoder(r)
		for {
			var m jsonstream.Message
			err := dec.Decode(&m)
			if err == io.EOF {
				return
			}
			if !yield(m, err) || err != nil {
				return
			}
		}
	}
}
