package imagesvctest

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/imageapi/imageapi/imagesvc"
	introotfs "github.com/imageapi/imageapi/internal/rootfs"
	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
)

// The RootFS group: imagesvc.RootFSPreparer (issue 14). A real program runs from a pulled
// image: a busybox image built from Debian's busybox-static is pulled, resolved, prepared,
// mounted with containerd's mount package and run with chroot. Whiteouts and opaque
// directories apply; images sharing a base layer share its snapshot; views keep their
// layers and make deleting their image a Conflict unless forced; removing the last view
// and image frees every snapshot (counted on disk through [Harness.CountSnapshots]);
// hostile layers never write outside their snapshot.
//
// Mounting needs root (the project's machines and CI run tests as root).

// snapshotCounters holds the count functions factories register with
// [Harness.CountSnapshots], per test.
type snapshotCounters struct {
	mu sync.Mutex
	m  map[*testing.T]func() (int, error)
}

func (c *snapshotCounters) register(t *testing.T, count func() (int, error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[*testing.T]func() (int, error){}
	}
	c.m[t] = count
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.m, t)
	})
}

func (c *snapshotCounters) get(t *testing.T) func() (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[t]
}

// rootfsService is a fresh service with its RootFSPreparer, or the test skips.
type rootfsService struct {
	svc   imagesvc.Service
	rp    imagesvc.RootFSPreparer
	r     imagesvc.Remover
	count func() (int, error)
}

func (s *suite) rootfsService(t *testing.T) rootfsService {
	t.Helper()
	svc := s.service(t)
	rp := capability[imagesvc.RootFSPreparer](t, svc, "RootFSPreparer")
	r, _ := imagesvc.As[imagesvc.Remover](svc)
	return rootfsService{svc: svc, rp: rp, r: r, count: s.counters.get(t)}
}

// snapshots returns the number of snapshots on disk, or skips the check's test when the
// backend registered no counter.
func (rs rootfsService) snapshots(t *testing.T) int {
	t.Helper()
	if rs.count == nil {
		t.Skip("the factory registered no snapshot counter (Harness.CountSnapshots)")
	}
	n, err := rs.count()
	require.NoError(t, err)
	return n
}

func hostPlatform() ocispec.Platform {
	return ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

// putImage pushes img to the suite's registry as repo:tag once per suite.
func (s *suite) putImage(t *testing.T, repo, tag string, img *testimages.Image) {
	t.Helper()
	require.NoError(t, s.w.reg.Put(repo, tag, img))
}

// pullResolve pulls repo:tag for the host's platform and resolves it.
func (s *suite) pullResolve(t *testing.T, rs rootfsService, repo, tag string) imagesvc.RuntimeImage {
	t.Helper()
	p := hostPlatform()
	res := s.pull(t, rs.svc, s.w.ref(repo), tag, &p, nil)
	require.NoError(t, res.err, "pull %s:%s", repo, tag)
	ref, err := imagesvc.ParseImageRef(s.w.ref(repo + ":" + tag))
	require.NoError(t, err)
	img, err := rs.rp.ResolveRuntimeImage(context.Background(), ref, &p)
	require.NoError(t, err, "resolve %s:%s", repo, tag)
	return img
}

func prepare(t *testing.T, rp imagesvc.RootFSPreparer, key string, img imagesvc.RuntimeImage, ro bool) []imagesvc.Mount {
	t.Helper()
	ms, err := rp.PrepareRootFS(context.Background(), imagesvc.PrepareRequest{Key: key, Image: img, ReadOnly: ro})
	require.NoError(t, err, "prepare %s", key)
	require.NotEmpty(t, ms, "prepare %s: no mounts", key)
	return ms
}

// mountView mounts ms on a new directory, unmounted when t ends (or by the returned
// function, which may be called more than once).
func mountView(t *testing.T, ms []imagesvc.Mount) (string, func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "mounting a root filesystem needs root")
	}
	dir := t.TempDir()
	require.NoError(t, mount.All(introotfs.ToContainerd(ms), dir), "mount %+v", ms)
	var once sync.Once
	unmount := func() {
		once.Do(func() {
			if err := mount.UnmountAll(dir, 0); err != nil {
				t.Errorf("unmount %s: %v", dir, err)
			}
		})
	}
	t.Cleanup(unmount)
	return dir, unmount
}

func removeView(t *testing.T, rp imagesvc.RootFSPreparer, key string) {
	t.Helper()
	require.NoError(t, rp.RemoveRootFS(context.Background(), key), "remove view %s", key)
}

func (s *suite) testRootFS(t *testing.T) {
	var (
		once    sync.Once
		busybox *testimages.Image
	)
	busyboxImage := func(t *testing.T) *testimages.Image {
		t.Helper()
		once.Do(func() {
			img, err := testimages.Busybox(testimages.BusyboxBinary(t), runtime.GOARCH)
			require.NoError(t, err)
			s.putImage(t, "library/busybox", "latest", img)
			busybox = img
		})
		if busybox == nil {
			t.Fatal("no busybox image")
		}
		return busybox
	}
	t.Run("RunBusybox", func(t *testing.T) { s.testRootFSRun(t, busyboxImage(t)) })
	t.Run("Resolve", func(t *testing.T) { s.testRootFSResolve(t, busyboxImage(t)) })
	t.Run("Whiteout", s.testRootFSWhiteout)
	t.Run("ReadOnly", s.testRootFSReadOnly)
	t.Run("Errors", s.testRootFSErrors)
	t.Run("SharedAndFreed", s.testRootFSShared)
	t.Run("ViewConflict", s.testRootFSConflict)
	t.Run("HostileLayers", s.testRootFSHostile)
}

// A real program runs from a pulled image.
func (s *suite) testRootFSRun(t *testing.T, _ *testimages.Image) {
	rs := s.rootfsService(t)
	img := s.pullResolve(t, rs, "library/busybox", "latest")
	ms := prepare(t, rs.rp, "run-busybox", img, false)
	dir, unmount := mountView(t, ms)
	out, err := exec.Command("chroot", dir, "/bin/busybox", "echo", "ok").CombinedOutput()
	require.NoError(t, err, "chroot %s busybox echo ok: %s", dir, out)
	assert.Equal(t, "ok\n", string(out))
	// The view is writable: a file written inside stays in the view, and RootFSMounts
	// mounts the same view again.
	out, err = exec.Command("chroot", dir, "/bin/sh", "-c", "echo hello > /tmp/hello").CombinedOutput()
	require.NoError(t, err, "%s", out)
	unmount()
	again, err := rs.rp.RootFSMounts(context.Background(), "run-busybox")
	require.NoError(t, err)
	assert.Equal(t, ms, again, "RootFSMounts describes the view as PrepareRootFS did")
	dir2, unmount2 := mountView(t, again)
	data, err := os.ReadFile(filepath.Join(dir2, "tmp/hello"))
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(data))
	unmount2()
	removeView(t, rs.rp, "run-busybox")
	_, err = rs.rp.RootFSMounts(context.Background(), "run-busybox")
	assert.ErrorIs(t, err, errdefs.ErrNotFound)
}

// ResolveRuntimeImage returns the manifest's layers and the config's diff and chain IDs.
func (s *suite) testRootFSResolve(t *testing.T, bb *testimages.Image) {
	rs := s.rootfsService(t)
	img := s.pullResolve(t, rs, "library/busybox", "latest")
	man, cfg, err := bb.Manifest(bb.Descriptor.Digest)
	require.NoError(t, err)
	assert.Equal(t, bb.Descriptor.Digest, img.Target.Digest)
	assert.Equal(t, bb.Descriptor.Digest, img.Manifest.Digest, "a single-manifest image is its own platform manifest")
	assert.Equal(t, man.Config.Digest, img.ConfigDescriptor.Digest)
	assert.Equal(t, cfg.Config.Cmd, img.Config.Config.Cmd)
	assert.Equal(t, cfg.Config.Env, img.Config.Config.Env)
	require.Len(t, img.Layers, len(man.Layers))
	for i := range man.Layers {
		assert.Equal(t, man.Layers[i].Digest, img.Layers[i].Digest)
		assert.Equal(t, man.Layers[i].Size, img.Layers[i].Size)
	}
	assert.Equal(t, cfg.RootFS.DiffIDs, img.DiffIDs)
	assert.Equal(t, identity.ChainIDs(append([]digest.Digest(nil), cfg.RootFS.DiffIDs...)), img.ChainIDs)

	// By ID too; a platform the image lacks and a missing image are NotFound.
	ref, err := imagesvc.ParseImageRef(bb.Descriptor.Digest.String())
	require.NoError(t, err)
	byID, err := rs.rp.ResolveRuntimeImage(context.Background(), ref, nil)
	require.NoError(t, err)
	assert.Equal(t, img.ChainIDs, byID.ChainIDs)
	other := ocispec.Platform{OS: "linux", Architecture: "s390x"}
	if runtime.GOARCH == "s390x" {
		other.Architecture = "riscv64"
	}
	_, err = rs.rp.ResolveRuntimeImage(context.Background(), ref, &other)
	assert.ErrorIs(t, err, errdefs.ErrNotFound)
	missing, err := imagesvc.ParseImageRef(s.w.ref("library/nope:1"))
	require.NoError(t, err)
	_, err = rs.rp.ResolveRuntimeImage(context.Background(), missing, nil)
	assert.ErrorIs(t, err, errdefs.ErrNotFound)
}

// A whiteout deletes a file of the lower layer; an opaque directory hides the lower
// directory's content.
func (s *suite) testRootFSWhiteout(t *testing.T) {
	wimg, err := testimages.WhiteoutImage(runtime.GOARCH, 1)
	require.NoError(t, err)
	s.putImage(t, "library/whiteout", "1", wimg)
	rs := s.rootfsService(t)
	img := s.pullResolve(t, rs, "library/whiteout", "1")
	require.Len(t, img.Layers, 2)
	dir, _ := mountView(t, prepare(t, rs.rp, "whiteout", img, false))

	data, err := os.ReadFile(filepath.Join(dir, testimages.WhiteoutKept))
	require.NoError(t, err)
	assert.Equal(t, "kept\n", string(data))
	_, err = os.Lstat(filepath.Join(dir, testimages.WhiteoutDeleted))
	assert.True(t, errors.Is(err, os.ErrNotExist), "the whited-out file is gone: %v", err)
	_, err = os.Lstat(filepath.Join(dir, "etc/.wh.deleted"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "the whiteout marker is not a file: %v", err)
	entries, err := os.ReadDir(filepath.Join(dir, testimages.WhiteoutOpaqueDir))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"new"}, names, "the opaque directory holds only the upper layer's content")
	data, err = os.ReadFile(filepath.Join(dir, testimages.WhiteoutOpaqueDir, "new"))
	require.NoError(t, err)
	assert.Equal(t, "new\n", string(data))
}

// A read-only view mounts read-only.
func (s *suite) testRootFSReadOnly(t *testing.T) {
	wimg, err := testimages.WhiteoutImage(runtime.GOARCH, 2)
	require.NoError(t, err)
	s.putImage(t, "library/whiteout", "2", wimg)
	rs := s.rootfsService(t)
	img := s.pullResolve(t, rs, "library/whiteout", "2")
	dir, _ := mountView(t, prepare(t, rs.rp, "read-only", img, true))
	_, err = os.ReadFile(filepath.Join(dir, testimages.WhiteoutKept))
	require.NoError(t, err)
	err = os.WriteFile(filepath.Join(dir, "written"), []byte("x"), 0o644)
	assert.ErrorIs(t, err, syscall.EROFS, "a read-only view refuses writes")

	views, err := rs.rp.RootFSViews(context.Background())
	require.NoError(t, err)
	require.Len(t, views, 1)
	assert.True(t, views[0].ReadOnly)
}

// Keys are checked; a taken key is AlreadyExists; a missing view is NotFound; the views
// are listed oldest first with what they were prepared from.
func (s *suite) testRootFSErrors(t *testing.T) {
	wimg, err := testimages.WhiteoutImage(runtime.GOARCH, 3)
	require.NoError(t, err)
	s.putImage(t, "library/whiteout", "3", wimg)
	rs := s.rootfsService(t)
	ctx := context.Background()
	img := s.pullResolve(t, rs, "library/whiteout", "3")

	for _, key := range []string{"", "/abs", "trailing/", "nul\x00key", strings.Repeat("k", 257)} {
		_, err := rs.rp.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: key, Image: img})
		assert.ErrorIs(t, err, errdefs.ErrInvalidArgument, "key %q", key)
	}
	before := time.Now().Add(-time.Second)
	prepare(t, rs.rp, "first", img, false)
	_, err = rs.rp.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "first", Image: img})
	assert.ErrorIs(t, err, errdefs.ErrAlreadyExists)
	time.Sleep(10 * time.Millisecond)
	prepare(t, rs.rp, "second", img, true)

	_, err = rs.rp.RootFSMounts(ctx, "nope")
	assert.ErrorIs(t, err, errdefs.ErrNotFound)
	err = rs.rp.RemoveRootFS(ctx, "nope")
	assert.ErrorIs(t, err, errdefs.ErrNotFound)

	views, err := rs.rp.RootFSViews(ctx)
	require.NoError(t, err)
	require.Len(t, views, 2)
	assert.Equal(t, "first", views[0].Key)
	assert.Equal(t, "second", views[1].Key)
	for _, v := range views {
		assert.Equal(t, img.Target.Digest, v.Image)
		assert.Equal(t, img.Manifest.Digest, v.Manifest)
		assert.Equal(t, img.ChainIDs[len(img.ChainIDs)-1], v.ChainID)
		assert.True(t, v.Created.After(before), "created %s", v.Created)
	}
	assert.False(t, views[0].ReadOnly)
	assert.True(t, views[1].ReadOnly)

	// An image that no longer exists cannot be prepared, even with a resolved image.
	if rs.r != nil {
		removeView(t, rs.rp, "first")
		removeView(t, rs.rp, "second")
		mustRemove(t, rs.r, img.Target.Digest.String(), imagesvc.RemoveOptions{})
		_, err = rs.rp.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "third", Image: img})
		assert.ErrorIs(t, err, errdefs.ErrNotFound)
		views, err = rs.rp.RootFSViews(ctx)
		require.NoError(t, err)
		assert.Empty(t, views, "a failed prepare leaves no view")
	}
}

// Two images sharing a base layer share its snapshot; deleting one keeps the other's
// layers; removing the views and the last image frees every snapshot.
func (s *suite) testRootFSShared(t *testing.T) {
	rs := s.rootfsService(t)
	if rs.r == nil {
		t.Skipf("%T does not implement imagesvc.Remover", rs.svc)
	}
	start := rs.snapshots(t)
	v1 := s.pullResolve(t, rs, "library/tags", "v1")
	v2 := s.pullResolve(t, rs, "library/tags", "v2")
	require.Equal(t, v1.ChainIDs[0], v2.ChainIDs[0], "the tag images share their base layer")
	require.NotEqual(t, v1.ChainIDs[1], v2.ChainIDs[1])
	prepare(t, rs.rp, "view-v1", v1, false)
	prepare(t, rs.rp, "view-v2", v2, false)
	// base + two tops + two views; without sharing there would be six.
	assert.Equal(t, start+5, rs.snapshots(t), "the base layer is unpacked once")

	removeView(t, rs.rp, "view-v1")
	mustRemove(t, rs.r, v1.Target.Digest.String(), imagesvc.RemoveOptions{})
	assert.Equal(t, start+3, rs.snapshots(t), "v1's top layer and view are freed, the base stays")
	dir, _ := mountView(t, mustMounts(t, rs.rp, "view-v2"))
	data, err := os.ReadFile(filepath.Join(dir, "shared/base"))
	require.NoError(t, err)
	assert.Equal(t, "a base layer that the tag images share", string(data))
	data, err = os.ReadFile(filepath.Join(dir, "version"))
	require.NoError(t, err)
	assert.Equal(t, "v2", string(data))
	mount.UnmountAll(dir, 0) //nolint:errcheck // unmounted again by the cleanup otherwise

	removeView(t, rs.rp, "view-v2")
	mustRemove(t, rs.r, v2.Target.Digest.String(), imagesvc.RemoveOptions{})
	assert.Equal(t, start, rs.snapshots(t), "nothing is left once the last view and image are gone")
}

func mustMounts(t *testing.T, rp imagesvc.RootFSPreparer, key string) []imagesvc.Mount {
	t.Helper()
	ms, err := rp.RootFSMounts(context.Background(), key)
	require.NoError(t, err, "mounts of %s", key)
	return ms
}

// Deleting an image a view uses is a Conflict unless forced; forced, the image is
// untagged and the view still works; removing the view and then the image frees it all.
func (s *suite) testRootFSConflict(t *testing.T) {
	wimg, err := testimages.WhiteoutImage(runtime.GOARCH, 4)
	require.NoError(t, err)
	s.putImage(t, "library/whiteout", "4", wimg)
	rs := s.rootfsService(t)
	if rs.r == nil {
		t.Skipf("%T does not implement imagesvc.Remover", rs.svc)
	}
	var start int
	if rs.count != nil {
		start = rs.snapshots(t)
	}
	img := s.pullResolve(t, rs, "library/whiteout", "4")
	name := s.w.ref("library/whiteout:4")
	lv, versioned := imagesvc.As[imagesvc.ListVersioner](rs.svc)
	var before string
	if versioned {
		// NotImplemented: the lists depend on a usage provider without a version.
		if before, err = lv.ListVersion(context.Background()); errdefs.IsNotImplemented(err) {
			versioned = false
		} else {
			require.NoError(t, err)
		}
	}
	prepare(t, rs.rp, "user", img, false)
	assert.Equal(t, []string{"user"}, viewUsers(t, rs.svc, img), "the view counts as a container of its manifest")
	if versioned {
		after, err := lv.ListVersion(context.Background())
		require.NoError(t, err)
		assert.NotEqual(t, before, after, "a prepared view changes the list's version")
	}

	_, err = remove(t, rs.r, name, imagesvc.RemoveOptions{})
	assert.ErrorIs(t, err, errdefs.ErrConflict, "by name")
	_, err = remove(t, rs.r, img.Target.Digest.String(), imagesvc.RemoveOptions{})
	assert.ErrorIs(t, err, errdefs.ErrConflict, "by ID")
	if err != nil {
		assert.Contains(t, err.Error(), "user", "the view's key stands for the container")
	}

	out := mustRemove(t, rs.r, name, imagesvc.RemoveOptions{Force: true})
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: name}}, out)
	dir, unmount := mountView(t, mustMounts(t, rs.rp, "user"))
	data, err := os.ReadFile(filepath.Join(dir, testimages.WhiteoutKept))
	require.NoError(t, err, "the view works after its image is untagged")
	assert.Equal(t, "kept\n", string(data))
	unmount()

	removeView(t, rs.rp, "user")
	assert.Empty(t, viewUsers(t, rs.svc, img), "the removed view no longer counts")
	_, err = remove(t, rs.r, img.Target.Digest.String(), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	if rs.count != nil {
		assert.Equal(t, start, rs.snapshots(t), "the image's layers are freed")
	}
}

// viewUsers returns the containers List counts for img (its Containers and its
// manifest's), checking that both agree.
func viewUsers(t *testing.T, svc imagesvc.Service, img imagesvc.RuntimeImage) []string {
	t.Helper()
	sums, err := svc.List(context.Background(), imagesvc.ListOptions{All: true, Manifests: true})
	require.NoError(t, err)
	for _, sum := range sums {
		if sum.ID != img.Target.Digest {
			continue
		}
		var users []string
		for _, m := range sum.Manifests {
			if m.ID == img.Manifest.Digest && m.ImageData != nil {
				users = m.ImageData.Containers
			}
		}
		assert.Equal(t, int64(len(users)), sum.Containers, "Containers counts the manifest's containers")
		return users
	}
	t.Fatalf("image %s is not listed", img.Target.Digest)
	return nil
}

// Layers that try to write, link or delete outside their snapshot never do. Each case
// of [testimages.HostileCases] runs on its own outside directory (holding a target and a
// victim file) with an escape name unique to the test, and must end as
// [hostileOutcomes] says: refused, with nothing left behind (no image, no view, no
// snapshot), or unpacked with every file inside the view where containerd's apply puts
// it. Either way nothing appears, changes or is linked outside.
func (s *suite) testRootFSHostile(t *testing.T) {
	rs := s.rootfsService(t)
	escaped := "escaped-" + randomToken(t)
	for i, c := range testimages.HostileCases("/outside", escaped) {
		t.Run(c.Name, func(t *testing.T) {
			outside := t.TempDir()
			c := testimages.HostileCases(outside, escaped)[i]
			want, ok := hostileOutcomes(strings.TrimPrefix(outside, "/"), escaped)[c.Name]
			require.True(t, ok, "case %s has no expected outcome", c.Name)
			s.testHostileCase(t, rs, c, want, outside, escaped)
		})
	}
}

// randomToken returns 16 random hex digits.
func randomToken(t *testing.T) string {
	t.Helper()
	var b [8]byte
	_, err := cryptorand.Read(b[:])
	require.NoError(t, err)
	return hex.EncodeToString(b[:])
}

// hostileOutcome is what a backend must do with a [testimages.HostileCase].
type hostileOutcome struct {
	// refused, when set, is a text the error refusing the layers must hold: the unpack
	// (at pull, or at prepare when the backend unpacks lazily) fails.
	refused string
	// at lists, for layers that unpack, the paths (relative to the view's root) of the
	// entries named like the escaping file in the view: exactly one of these
	// alternatives. Where a second layer writes through a symlink of the first there are
	// two: containerd applies a layer on the overlay snapshotter in its upper directory,
	// where the lower layer's symlink is not (the write makes a directory that replaces
	// the symlink in the view), and on other snapshotters on a mount of the whole root
	// (the write follows the symlink, resolved inside the root).
	at [][]string
	// check checks more of the mounted view (root is the view, opened with os.OpenRoot:
	// nothing read through it leaves the view).
	check func(t *testing.T, root *os.Root)
}

// hostileOutcomes returns the expected outcome of each [testimages.HostileCases] case,
// for the outside directory at rel (its path without the leading slash: where an outside
// path lands inside the view) and the escaping file's name escaped. containerd's apply
// (pkg/archive) resolves every name and symlink inside the root (fs.RootPath): "../"
// and absolute names and links land inside; a hard link whose target is not inside the
// root fails with ENOENT from link(2); a whiteout that names a file outside its directory
// is an "invalid whiteout name".
func hostileOutcomes(rel, escaped string) map[string]hostileOutcome {
	inRoot := [][]string{{escaped}}
	inOutside := [][]string{{rel + "/" + escaped}}
	const noLinkTarget = "no such file or directory"
	return map[string]hostileOutcome{
		"dotdot":              {at: inRoot},
		"dotdot-deep":         {at: inRoot},
		"absolute":            {at: inRoot},
		"absolute-outside":    {at: inOutside},
		"symlink-absolute":    {at: inOutside},
		"symlink-dotdot":      {at: inRoot},
		"symlink-absolute-2":  {at: [][]string{{"link/" + escaped}, {rel + "/" + escaped}}},
		"symlink-dotdot-2":    {at: [][]string{{"up/" + escaped}, {escaped}}},
		"symlink-overwrite":   {at: inRoot},
		"symlink-overwrite-2": {at: inRoot},
		"hardlink-dotdot":     {refused: noLinkTarget},
		"hardlink-absolute":   {refused: noLinkTarget},
		"hardlink-absolute-decoy": {check: func(t *testing.T, root *os.Root) {
			// The link is made to the layer's own file at the outside target's path.
			hard, err := root.Lstat("hard")
			require.NoError(t, err)
			decoy, err := root.Lstat(rel + "/" + testimages.HostileTarget)
			require.NoError(t, err)
			assert.True(t, os.SameFile(hard, decoy), "hard is linked to the layer's %s/%s", rel, testimages.HostileTarget)
			data, err := root.ReadFile("hard")
			require.NoError(t, err)
			assert.Equal(t, testimages.HostileDecoyData, string(data))
		}},
		"hardlink-symlink":   {refused: noLinkTarget},
		"hardlink-symlink-2": {refused: noLinkTarget},
		"whiteout-dotdot":    {refused: "invalid whiteout name"},
		"whiteout-absolute": {at: inRoot, check: func(t *testing.T, root *os.Root) {
			_, err := root.Lstat(rel + "/" + testimages.HostileVictim)
			assert.ErrorIs(t, err, os.ErrNotExist)
		}},
		"whiteout-symlink-2": {},
		"opaque-symlink-2":   {},
		"device": {check: func(t *testing.T, root *os.Root) {
			// As root, device nodes are created, inside the view.
			for _, d := range []struct {
				name         string
				char         bool
				major, minor uint32
			}{{"dev/null", true, 1, 3}, {"dev/loop0", false, 7, 0}} {
				fi, err := root.Lstat(d.name)
				require.NoError(t, err)
				assert.NotZero(t, fi.Mode()&os.ModeDevice, "%s is a device: %s", d.name, fi.Mode())
				assert.Equal(t, d.char, fi.Mode()&os.ModeCharDevice != 0, "%s: %s", d.name, fi.Mode())
				if st, ok := fi.Sys().(*syscall.Stat_t); ok {
					assert.Equal(t, [2]uint32{d.major, d.minor}, [2]uint32{unix.Major(st.Rdev), unix.Minor(st.Rdev)}, d.name)
				}
			}
		}},
	}
}

func (s *suite) testHostileCase(t *testing.T, rs rootfsService, c testimages.HostileCase, want hostileOutcome, outside, escaped string) {
	ctx := context.Background()
	for _, name := range []string{testimages.HostileTarget, testimages.HostileVictim} {
		require.NoError(t, os.WriteFile(filepath.Join(outside, name), []byte(testimages.HostileTargetData), 0o644))
	}
	img, err := testimages.HostileImage(runtime.GOARCH, c.Layers)
	require.NoError(t, err)
	s.putImage(t, "library/hostile", c.Name, img)
	var start int
	if rs.count != nil {
		start = rs.snapshots(t)
	}
	p := hostPlatform()
	name := s.w.ref("library/hostile:" + c.Name)
	key := "hostile-" + c.Name
	var ms []imagesvc.Mount
	res := s.pull(t, rs.svc, s.w.ref("library/hostile"), c.Name, &p, nil)
	err = res.err
	if err == nil {
		ref, rerr := imagesvc.ParseImageRef(name)
		require.NoError(t, rerr)
		rimg, rerr := rs.rp.ResolveRuntimeImage(ctx, ref, &p)
		require.NoError(t, rerr)
		ms, err = rs.rp.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: key, Image: rimg})
	}
	var dirs []string
	for _, m := range ms {
		dirs = append(dirs, mountDirs(m)...)
	}
	checkOutside(t, outside, escaped, dirs)

	if want.refused != "" {
		require.Error(t, err, "the layers must be refused")
		t.Logf("refused (by the pull: %v): %v", res.err != nil, err)
		assert.Contains(t, err.Error(), want.refused)
		// containerd's apply gives these errors no errdefs class (a plain link(2) error,
		// pkg/archive's errInvalidArchive), and no backend adds one: they are Unknown, a
		// 500 in the API. Not NotFound, which would tell that the image does not exist.
		assert.ErrorIs(t, errdefs.Resolve(err), errdefs.ErrUnknown, "the class of %v", err)
		// Refused layers leave nothing: no view, no snapshot; a pull that unpacks
		// records no image.
		views, verr := rs.rp.RootFSViews(ctx)
		require.NoError(t, verr)
		assert.Empty(t, views, "a refused prepare leaves no view")
		if res.err != nil {
			s.notFound(t, rs.svc, name)
		} else if rs.r != nil {
			mustRemove(t, rs.r, name, imagesvc.RemoveOptions{})
		}
		if rs.count != nil && (res.err != nil || rs.r != nil) {
			assert.Equal(t, start, rs.snapshots(t), "refused layers leave no snapshot")
		}
		return
	}
	require.NoError(t, err, "the layers unpack, inside their snapshot")
	dir, unmount := mountView(t, ms)
	checkNotLinkedOutside(t, outside, append([]string{dir}, dirs...))
	root, err := os.OpenRoot(dir)
	require.NoError(t, err)
	t.Cleanup(func() { root.Close() }) // before the unmount of mountView's cleanup
	var at []string
	require.NoError(t, fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == escaped {
			at = append(at, p)
			data, err := root.ReadFile(p)
			if assert.NoError(t, err, "%s is a regular file", p) {
				assert.Equal(t, testimages.HostileData, string(data), p)
			}
		}
		return nil
	}))
	if len(want.at) == 0 {
		assert.Empty(t, at, "no file of the layers is named %s", escaped)
	} else {
		assert.Contains(t, want.at, at, "where the layers' files land in the view")
	}
	t.Logf("unpacked; %s at %q", escaped, at)
	if want.check != nil {
		want.check(t, root)
	}
	require.NoError(t, root.Close())
	unmount()
	removeView(t, rs.rp, key)
	if rs.r != nil {
		mustRemove(t, rs.r, name, imagesvc.RemoveOptions{})
		if rs.count != nil {
			assert.Equal(t, start, rs.snapshots(t), "removing the view and the image frees the layers")
		}
	}
}

// checkOutside checks that the outside directory holds only the target and the victim,
// unchanged and with no other link, and that no file named escaped appeared where
// escapes land: at "/" (relative escapes climb there), in the temporary directory (where
// containerd mounts a snapshot to apply a layer) and in the directories above the
// snapshots' (dirs) and their tmpmounts (a daemon's temporary mounts).
func checkOutside(t *testing.T, outside, escaped string, dirs []string) {
	t.Helper()
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{testimages.HostileTarget, testimages.HostileVictim}, names, "nothing appears in or vanishes from the outside directory")
	for _, name := range names {
		p := filepath.Join(outside, name)
		fi, err := os.Lstat(p)
		require.NoError(t, err)
		assert.True(t, fi.Mode().IsRegular(), "%s: %s", p, fi.Mode())
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			assert.EqualValues(t, 1, st.Nlink, "%s has no other hard link", p)
		}
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Equal(t, testimages.HostileTargetData, string(data), "%s is unchanged", p)
	}
	places := map[string]bool{"/": true, os.TempDir(): true}
	for _, d := range dirs {
		for up := filepath.Dir(d); ; up = filepath.Dir(up) {
			places[up] = true
			places[filepath.Join(up, "tmpmounts")] = true
			if up == filepath.Dir(up) {
				break
			}
		}
	}
	for dir := range places {
		_, err := os.Lstat(filepath.Join(dir, escaped))
		assert.True(t, errors.Is(err, os.ErrNotExist), "%s: a layer wrote outside its snapshot (%v)", filepath.Join(dir, escaped), err)
	}
}

// checkNotLinkedOutside checks that no file of dirs (the mounted view and the
// directories its mounts are made of), walked without following symlinks, is the same
// file as one of the outside directory.
func checkNotLinkedOutside(t *testing.T, outside string, dirs []string) {
	t.Helper()
	var outs []os.FileInfo
	for _, name := range []string{testimages.HostileTarget, testimages.HostileVictim} {
		fi, err := os.Lstat(filepath.Join(outside, name))
		require.NoError(t, err)
		outs = append(outs, fi)
	}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			fi, err := os.Lstat(p)
			if err != nil {
				return err
			}
			for _, o := range outs {
				assert.False(t, os.SameFile(fi, o), "%s is the outside file %s", p, o.Name())
			}
			return nil
		})
		require.NoError(t, err)
	}
}

// mountDirs returns the directories a mount is made of.
func mountDirs(m imagesvc.Mount) []string {
	var out []string
	if m.Type == "bind" || m.Type == "rbind" {
		out = append(out, m.Source)
	}
	for _, o := range m.Options {
		k, v, ok := bytes.Cut([]byte(o), []byte("="))
		if !ok {
			continue
		}
		switch string(k) {
		case "lowerdir":
			out = append(out, strings.Split(string(v), ":")...)
		case "upperdir", "workdir":
			out = append(out, string(v))
		}
	}
	return out
}
