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
	f.removeWhenDone(t, ref, f.ref("e2e/broken-sdk:1"))

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
	f.removeWhenDone(t, "e2e/imported:sdk", "e2e/imported:sdk-other", "e2e/imported:sdk-141")

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

	// This daemon runs without --allow-url-import: a URL source is refused with 403, and
	// the message tells the host how to allow it.
	rc, err := c.ImageImport(ctx, client.ImageImportSource{SourceName: "http://127.0.0.1:1/rootfs.tar"}, "e2e/imported:url", client.ImageImportOptions{})
	if err == nil {
		rc.Close()
	}
	if !cerrdefs.IsPermissionDenied(err) || !strings.Contains(err.Error(), "--allow-url-import") ||
		!strings.Contains(err.Error(), "AllowURLImport") {
		t.Errorf("ImageImport from a URL without --allow-url-import: %v", err)
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

// TestSDKLifecycle drives the Go SDK's ImageTag, ImageHistory, ImageRemove and ImagePrune
// on every backend, each on a daemon of its own, and checks the store's content after
// removals.
func TestSDKLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture, d *daemon) {
		ctx := sdkContext(t)
		c := sdkFor(t, d)
		pull := func(ref string) {
			t.Helper()
			resp, err := c.ImagePull(ctx, ref, client.ImagePullOptions{})
			if err != nil {
				t.Fatalf("ImagePull %s: %v", ref, err)
			}
			defer resp.Close()
			if out, err := renderStream(resp.JSONMessages(ctx)); err != nil {
				t.Fatalf("ImagePull %s: %v\n%s", ref, err, out)
			}
		}
		imp := func(label string) string {
			t.Helper()
			var changes []string
			if label != "" {
				changes = []string{"LABEL " + label}
			}
			raw := testimages.Tar([]testimages.File{{Name: "sdk-" + label, Data: []byte(d.backend + label)}})
			rc, err := c.ImageImport(ctx, client.ImageImportSource{Source: bytes.NewReader(raw), SourceName: "-"}, "", client.ImageImportOptions{Changes: changes})
			if err != nil {
				t.Fatalf("ImageImport: %v", err)
			}
			defer rc.Close()
			out, err := renderStream(decodeStream(rc))
			id := strings.TrimSpace(out)
			if _, perr := digest.Parse(id); err != nil || perr != nil {
				t.Fatalf("ImageImport: %v\n%s", err, out)
			}
			return id
		}
		appRef, appID := f.ref("e2e/app:v1"), f.app.Descriptor.Digest.String()
		pull(appRef)

		t.Run("ImageTag", func(t *testing.T) {
			if _, err := c.ImageTag(ctx, client.ImageTagOptions{Source: appRef, Target: "lc/sdk:tagged"}); err != nil {
				t.Fatalf("ImageTag: %v", err)
			}
			if _, err := c.ImageTag(ctx, client.ImageTagOptions{Source: appID[7:19], Target: "lc/sdk"}); err != nil {
				t.Fatalf("ImageTag by short ID: %v", err)
			}
			for _, name := range []string{"lc/sdk:tagged", "lc/sdk:latest"} {
				if res, err := c.ImageInspect(ctx, name); err != nil || res.ID != appID {
					t.Errorf("ImageInspect %s after ImageTag: %v %s, want %s", name, err, res.ID, appID)
				}
			}
			_, err := c.ImageTag(ctx, client.ImageTagOptions{Source: "nosuch", Target: "lc/sdk:x"})
			if !cerrdefs.IsNotFound(err) || err.Error() != "Error response from daemon: No such image: nosuch:latest" {
				t.Errorf("ImageTag nosuch: %v", err)
			}
		})

		t.Run("ImageHistory", func(t *testing.T) {
			_, cfg, err := f.app.Manifest(f.app.Descriptor.Digest)
			if err != nil {
				t.Fatal(err)
			}
			h, err := c.ImageHistory(ctx, "lc/sdk:tagged")
			if err != nil {
				t.Fatal(err)
			}
			newest := cfg.History[len(cfg.History)-1]
			if len(h.Items) != len(cfg.History) || h.Items[0].ID != appID || h.Items[0].Created != newest.Created.Unix() ||
				h.Items[0].CreatedBy != newest.CreatedBy || h.Items[0].Size <= 0 {
				t.Errorf("ImageHistory lc/sdk:tagged: %+v, want %d rows, the first %s %q", h.Items, len(cfg.History), appID, newest.CreatedBy)
			}
			// Every name of the image, familiar, in record-name order (the registry host sorts
			// first).
			if len(h.Items) > 0 && !slices.Equal(h.Items[0].Tags, []string{appRef, "lc/sdk:latest", "lc/sdk:tagged"}) {
				t.Errorf("ImageHistory Tags %q", h.Items[0].Tags)
			}

			histRef := f.ref("e2e/lc-hist:1")
			pull(histRef)
			h, err = c.ImageHistory(ctx, histRef)
			if err != nil {
				t.Fatal(err)
			}
			want := []image.HistoryResponseItem{
				{ID: f.hist.Descriptor.Digest.String(), Created: date("2025-02-03").Unix(), CreatedBy: histCreatedBy[2], Comment: "buildkit.dockerfile.v0", Tags: []string{histRef}},
				{ID: "<missing>", Created: date("2025-02-02").Unix(), CreatedBy: histCreatedBy[1], Comment: "buildkit.dockerfile.v0"},
				{ID: "<missing>", Created: date("2025-02-01").Unix(), CreatedBy: histCreatedBy[0]},
			}
			if len(h.Items) == 3 {
				// The sizes are the unpacked layers': not 0 but for the empty layer.
				if h.Items[0].Size <= 0 || h.Items[1].Size != 0 || h.Items[2].Size <= 0 {
					t.Errorf("ImageHistory %s sizes: %d %d %d", histRef, h.Items[0].Size, h.Items[1].Size, h.Items[2].Size)
				}
				for i := range h.Items {
					want[i].Size = h.Items[i].Size
				}
			}
			if !jsonEqual(h.Items, want) {
				t.Errorf("ImageHistory %s:\n got %+v\nwant %+v", histRef, h.Items, want)
			}

			sdkRef := f.ref("e2e/sdk:1")
			pull(sdkRef)
			h, err = c.ImageHistory(ctx, sdkRef, client.ImageHistoryWithPlatform(f.host))
			if err != nil || len(h.Items) == 0 || h.Items[0].ID != f.sdkImg.Descriptor.Digest.String() {
				t.Errorf("ImageHistory %s on %s: %v %+v, want the index digest as Id", sdkRef, f.platformString(f.host), err, h.Items)
			}
			_, err = c.ImageHistory(ctx, sdkRef, client.ImageHistoryWithPlatform(f.other))
			if want := "image with reference " + sdkRef + " was found but does not provide the specified platform (" + f.platformString(f.other) + ")"; !cerrdefs.IsNotFound(err) || !strings.Contains(fmt.Sprint(err), want) {
				t.Errorf("ImageHistory %s on %s (not pulled): %v\nwant %q", sdkRef, f.platformString(f.other), err, want)
			}
			if _, err = c.ImageHistory(ctx, "nosuch"); !cerrdefs.IsNotFound(err) || err.Error() != "Error response from daemon: No such image: nosuch:latest" {
				t.Errorf("ImageHistory nosuch: %v", err)
			}
		})

		t.Run("ImageRemove", func(t *testing.T) {
			rm, err := c.ImageRemove(ctx, "lc/sdk:tagged", client.ImageRemoveOptions{PruneChildren: true})
			if err != nil || !slices.Equal(rm.Items, []image.DeleteResponse{{Untagged: "lc/sdk:tagged"}}) {
				t.Errorf("ImageRemove lc/sdk:tagged: %v %+v", err, rm.Items)
			}
			_, err = c.ImageRemove(ctx, appID, client.ImageRemoveOptions{PruneChildren: true})
			if want := "conflict: unable to delete " + appID[7:19] + " (must be forced) - image is referenced in multiple repositories"; !cerrdefs.IsConflict(err) || !strings.Contains(fmt.Sprint(err), want) {
				t.Errorf("ImageRemove %s (several repositories): %v\nwant %q", appID, err, want)
			}
			rm, err = c.ImageRemove(ctx, appID, client.ImageRemoveOptions{Force: true, PruneChildren: true})
			if want := []image.DeleteResponse{{Untagged: appRef}, {Untagged: "lc/sdk:latest"}, {Deleted: appID}}; err != nil || !slices.Equal(rm.Items, want) {
				t.Errorf("ImageRemove %s force: %v %+v, want %+v", appID, err, rm.Items, want)
			}
			d.checkBlobs(t, "after ImageRemove", f.app.Digests(), nil)
			_, err = c.ImageRemove(ctx, "nosuch", client.ImageRemoveOptions{})
			if !cerrdefs.IsNotFound(err) || err.Error() != "Error response from daemon: No such image: nosuch:latest" {
				t.Errorf("ImageRemove nosuch: %v", err)
			}

			// Platforms (API 1.50): force is required; a platform that is not there is a
			// 404; otherwise its content goes, the name stays.
			sdkRef, sdkID := f.ref("e2e/sdk:1"), f.sdkImg.Descriptor.Digest.String()
			pull(sdkRef)
			hostManifest := f.sdkImg.Manifests()[0].Digest
			_, err = c.ImageRemove(ctx, sdkRef, client.ImageRemoveOptions{Platforms: []ocispec.Platform{f.host}})
			if want := "Content will be removed from all images referencing this variant. Use \u2014-force to force delete."; !cerrdefs.IsInvalidArgument(err) || !strings.Contains(fmt.Sprint(err), want) {
				t.Errorf("ImageRemove platforms without force: %v", err)
			}
			_, err = c.ImageRemove(ctx, sdkRef, client.ImageRemoveOptions{Force: true, Platforms: []ocispec.Platform{f.other}})
			if want := "failed to delete platform " + f.platformString(f.other) + " for image " + sdkID + ": image with reference " + sdkRef + " was found but does not provide any platform"; !cerrdefs.IsNotFound(err) || !strings.Contains(fmt.Sprint(err), want) {
				t.Errorf("ImageRemove platform %s (not pulled): %v\nwant %q", f.platformString(f.other), err, want)
			}
			rm, err = c.ImageRemove(ctx, sdkRef, client.ImageRemoveOptions{Force: true, Platforms: []ocispec.Platform{f.host}})
			if want := []image.DeleteResponse{{Deleted: hostManifest.String()}}; err != nil || !slices.Equal(rm.Items, want) {
				t.Errorf("ImageRemove platform %s: %v %+v, want %+v", f.platformString(f.host), err, rm.Items, want)
			}
			m, _, err := f.sdkImg.Manifest(hostManifest)
			if err != nil {
				t.Fatal(err)
			}
			d.checkBlobs(t, "after ImageRemove of a platform", append([]digest.Digest{hostManifest, m.Config.Digest}, layerDigests(m)...), []digest.Digest{f.sdkImg.Descriptor.Digest})
			// The image stays, listed and inspectable, with no config left (spec §2.5): Docker
			// still takes the deleted platform as the best manifest, so the summary is not the
			// fallback of an image without platforms: Labels {}, a repository digest.
			list, err := c.ImageList(ctx, client.ImageListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s, ok := findSummary(list.Items, f.sdkImg.Descriptor.Digest)
			if !ok || !slices.Equal(s.RepoTags, []string{sdkRef}) {
				t.Errorf("after a platform delete the image is still listed with its name (spec §2.5): %+v", list.Items)
			} else if s.Created != 0 || s.Labels == nil || len(s.Labels) != 0 || s.Containers != 0 ||
				!slices.Equal(s.RepoDigests, []string{f.ref("e2e/sdk@" + sdkID)}) {
				t.Errorf("after a platform delete: summary Created %d Labels %#v Containers %d RepoDigests %q, want 0, {} (not null), 0 and [%s] (spec §2.5)",
					s.Created, s.Labels, s.Containers, s.RepoDigests, f.ref("e2e/sdk@"+sdkID))
			}
			if res, err := c.ImageInspect(ctx, sdkRef); err != nil || res.ID != sdkID || res.Architecture != "" || res.Os != "" || res.Created != "" {
				t.Errorf("after a platform delete: inspect %v Id %s Architecture %q Os %q Created %q, want 200 with no platform and no Created (spec §2.5)",
					err, res.ID, res.Architecture, res.Os, res.Created)
			}
			rm, err = c.ImageRemove(ctx, sdkRef, client.ImageRemoveOptions{PruneChildren: true})
			if want := []image.DeleteResponse{{Untagged: sdkRef}, {Deleted: sdkID}}; err != nil || !slices.Equal(rm.Items, want) {
				t.Errorf("ImageRemove %s: %v %+v, want %+v", sdkRef, err, rm.Items, want)
			}
		})

		t.Run("ImagePrune", func(t *testing.T) {
			labelled, plain := imp("org.example.lc=sdk"), imp("")
			p, err := c.ImagePrune(ctx, client.ImagePruneOptions{Filters: make(client.Filters).Add("label", "org.example.lc=sdk")})
			if want := []image.DeleteResponse{{Untagged: labelled}, {Deleted: labelled}}; err != nil || !slices.Equal(p.Report.ImagesDeleted, want) || p.Report.SpaceReclaimed == 0 {
				t.Errorf("ImagePrune label: %v %+v, want %+v and some space", err, p.Report, want)
			}
			p, err = c.ImagePrune(ctx, client.ImagePruneOptions{})
			if want := []image.DeleteResponse{{Untagged: plain}, {Deleted: plain}}; err != nil || !slices.Equal(p.Report.ImagesDeleted, want) {
				t.Errorf("ImagePrune: %v %+v, want %+v", err, p.Report, want)
			}
			p, err = c.ImagePrune(ctx, client.ImagePruneOptions{})
			if err != nil || p.Report.ImagesDeleted != nil || p.Report.SpaceReclaimed != 0 {
				t.Errorf("ImagePrune with nothing to prune: %v %+v", err, p.Report)
			}
			for filter, want := range map[string]string{"color": "invalid filter 'color'", "dangling": "invalid filter 'dangling=[maybe]'"} {
				value := "x"
				if filter == "dangling" {
					value = "maybe"
				}
				_, err = c.ImagePrune(ctx, client.ImagePruneOptions{Filters: make(client.Filters).Add(filter, value)})
				if !cerrdefs.IsInvalidArgument(err) || !strings.Contains(fmt.Sprint(err), want) {
					t.Errorf("ImagePrune %s=%s: %v, want %q", filter, value, err, want)
				}
			}
			// dangling=false: every unused image.
			histRef := f.ref("e2e/lc-hist:1")
			pull(histRef)
			p, err = c.ImagePrune(ctx, client.ImagePruneOptions{Filters: make(client.Filters).Add("dangling", "false")})
			if want := []image.DeleteResponse{{Untagged: histRef}, {Deleted: f.hist.Descriptor.Digest.String()}}; err != nil ||
				!slices.Equal(p.Report.ImagesDeleted, want) || p.Report.SpaceReclaimed == 0 {
				t.Errorf("ImagePrune dangling=false: %v %+v, want %+v", err, p.Report, want)
			}
			if left := d.blobs(t); len(left) != 0 {
				t.Errorf("after every image was pruned the store holds %d blobs: %v", len(left), left)
			}
			// The route needs API 1.25 (the SDK itself speaks 1.40 and later).
			status, body := proxyRequest(t, d, http.MethodPost, "/v1.24/images/prune")
			if status != http.StatusBadRequest || body != `{"message":"POST /images/prune requires minimum API version 1.25"}`+"\n" {
				t.Errorf("POST /v1.24/images/prune: %d %s", status, body)
			}
		})
	})
}

// layerDigests returns the digests of m's layers.
func layerDigests(m ocispec.Manifest) []digest.Digest {
	var out []digest.Digest
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// proxyRequest sends a request without a body to the daemon's validating proxy.
func proxyRequest(t *testing.T, d *daemon, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(sdkContext(t), method, "http://"+d.proxy+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}
