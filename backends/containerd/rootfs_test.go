package containerd

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/containerdtest"
	"github.com/imageapi/imageapi/internal/rootfs"
	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// needRoot stops t unless it runs as root, as views are mounted.
func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "root, to mount views")
	}
}

// rootfsWorld serves library/first:1 and library/second:1, two two-layer images sharing
// their base layer; first's top layer deletes a file (whiteout) and replaces a directory
// (opaque). It returns the hosts directory for them and a function that names a
// repository of the registry.
func rootfsWorld(t *testing.T) (hosts string, registryRef func(repo string) string) {
	t.Helper()
	base := []testimages.File{
		{Name: "bin/base", Data: []byte("base\n"), Mode: 0o755},
		{Name: "etc/gone", Data: []byte("deleted above\n")},
		{Name: "d/", Typeflag: 0},
		{Name: "d/old", Data: []byte("replaced above\n")},
	}
	first, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Layers: [][]testimages.File{base, {
		{Name: "etc/.wh.gone"},
		{Name: "d/.wh..wh..opq"},
		{Name: "d/new", Data: []byte("new\n")},
	}}})
	require.NoError(t, err)
	second, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Layers: [][]testimages.File{base, {
		{Name: "etc/second", Data: []byte("second\n")},
	}}})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/first", "1", first))
	require.NoError(t, reg.Put("library/second", "1", second))
	hosts = t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	return hosts, func(repo string) string { return reg.Host() + "/" + repo }
}

// committedSnapshots returns the committed snapshots of s's namespace (the unpacked
// layer chains), and every snapshot's name by kind.
func committedSnapshots(t *testing.T, s *Store) (committed map[string]bool, all map[string]snapshots.Kind) {
	t.Helper()
	committed, all = map[string]bool{}, map[string]snapshots.Kind{}
	err := s.client.SnapshotService(s.snapshotter).Walk(s.nsContext(context.Background()), func(_ context.Context, info snapshots.Info) error {
		all[info.Name] = info.Kind
		if info.Kind == snapshots.KindCommitted {
			committed[info.Name] = true
		}
		return nil
	})
	require.NoError(t, err)
	return committed, all
}

// snapshotDirs counts the snapshot directories of the daemon's overlayfs or native
// snapshotter: what is really on the disk.
func snapshotDirs(t *testing.T, root, snapshotter string) int {
	t.Helper()
	plugin := "io.containerd.snapshotter.v1." + snapshotter
	es, err := os.ReadDir(filepath.Join(root, plugin, "snapshots"))
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(t, err)
	return len(es)
}

// mountView mounts ms on a new directory and unmounts it when t ends.
func mountView(t *testing.T, ms []imagesvc.Mount) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, mount.All(rootfs.ToContainerd(ms), dir))
	t.Cleanup(func() { _ = mount.UnmountAll(dir, 0) })
	return dir
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestRootFS prepares views of pulled images on the daemon's snapshotter, on 2.x and
// 1.6: the mounted view shows the layers with the whiteout and the opaque directory
// applied; the views are listed, leased and kept from other clients' snapshots;
// deleting an image a view uses is a Conflict unless forced; layers are shared between
// images and freed (on disk) when the last view and image go.
func TestRootFS(t *testing.T) {
	needRoot(t)
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) { testRootFS(t, v) })
	}
}

func testRootFS(t *testing.T, v string) {
	hosts, registryRef := rootfsWorld(t)
	s, d := open(t, v, Options{HostsDir: hosts, Platform: amd64})
	ctx := context.Background()
	nctx := s.nsContext(ctx)
	dirs0 := snapshotDirs(t, d.Root(), s.snapshotter)

	pullImage(t, s, registryRef("library/first:1"), nil)
	pullImage(t, s, registryRef("library/second:1"), nil)
	committed, _ := committedSnapshots(t, s)
	assert.Len(t, committed, 3, "the base layer is unpacked once for both images")

	first, err := s.ResolveRuntimeImage(ctx, mustRef(t, registryRef("library/first:1")), nil)
	require.NoError(t, err)
	require.Len(t, first.ChainIDs, 2)
	assert.Equal(t, first.Target.Digest, first.Manifest.Digest)
	assert.Equal(t, "amd64", first.Config.Architecture)
	second, err := s.ResolveRuntimeImage(ctx, mustRef(t, registryRef("library/second:1")), nil)
	require.NoError(t, err)
	assert.Equal(t, first.ChainIDs[0], second.ChainIDs[0])

	// Another client's container snapshot named like our view: never touched.
	foreign := s.client.LeasesService()
	fl, err := foreign.Create(nctx, leases.WithRandomID())
	require.NoError(t, err)
	_, err = s.client.SnapshotService(s.snapshotter).Prepare(leases.WithLease(nctx, fl.ID), "c1", first.ChainIDs[0].String())
	require.NoError(t, err)

	ms, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "c1", Image: first})
	require.NoError(t, err)
	root := mountView(t, ms)
	assert.Equal(t, "base\n", readFile(t, filepath.Join(root, "bin/base")))
	assert.NoFileExists(t, filepath.Join(root, "etc/gone"), "whiteout")
	assert.NoFileExists(t, filepath.Join(root, "d/old"), "opaque directory")
	assert.Equal(t, "new\n", readFile(t, filepath.Join(root, "d/new")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "written"), []byte("rw"), 0o644), "the view is writable")
	require.NoError(t, mount.UnmountAll(root, 0))

	again, err := s.RootFSMounts(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, ms, again)

	ro, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "ro/2", Image: second, ReadOnly: true})
	require.NoError(t, err)
	rroot := mountView(t, ro)
	assert.Equal(t, "replaced above\n", readFile(t, filepath.Join(rroot, "d/old")))
	assert.Error(t, os.WriteFile(filepath.Join(rroot, "x"), nil, 0o644), "a read-only view")
	require.NoError(t, mount.UnmountAll(rroot, 0))

	// Errors, and nothing left by them.
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "c1", Image: second})
	assert.True(t, errdefs.IsAlreadyExists(err), "%v", err)
	for _, key := range []string{"", "/x", "x/", "a\x00b", "extract-1-2 sha256:x", strings.Repeat("k", 257)} {
		_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: key, Image: first})
		assert.True(t, errdefs.IsInvalidArgument(err), "%q: %v", key, err)
	}
	gone := first
	gone.Target.Digest = digest.FromString("gone")
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "c3", Image: gone})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	wrong := first
	wrong.Manifest.Digest = second.Manifest.Digest
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "c3", Image: wrong})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	_, err = s.RootFSMounts(ctx, "c3")
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.True(t, errdefs.IsNotFound(s.RemoveRootFS(ctx, "c3")))
	_, err = s.ResolveRuntimeImage(ctx, mustRef(t, "nothing:here"), nil)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	_, err = s.ResolveRuntimeImage(ctx, mustRef(t, registryRef("library/first:1")), &ocispec.Platform{OS: "linux", Architecture: "s390x"})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)

	views, err := s.RootFSViews(ctx)
	require.NoError(t, err)
	require.Len(t, views, 2, "the foreign snapshot c1 is not listed")
	assert.Equal(t, imagesvc.RootFSView{Key: "c1", Image: first.Target.Digest, Manifest: first.Manifest.Digest,
		ChainID: first.ChainIDs[1], Created: views[0].Created}, views[0])
	assert.Equal(t, "ro/2", views[1].Key)
	assert.True(t, views[1].ReadOnly)
	assert.Equal(t, []string{viewSnapshotKey("c1"), viewSnapshotKey("ro/2")}, viewsLeased(t, s), "the views lease holds both")

	// An image a view uses is a stopped container's image.
	_, err = s.Remove(ctx, mustRef(t, registryRef("library/first:1")), imagesvc.RemoveOptions{})
	require.Error(t, err)
	assert.True(t, errdefs.IsConflict(err), "%v", err)
	assert.Contains(t, err.Error(), "container c1 is using its referenced image")
	_, err = s.Remove(ctx, mustRef(t, first.Target.Digest.String()), imagesvc.RemoveOptions{})
	require.Error(t, err)
	assert.True(t, errdefs.IsConflict(err), "%v", err)
	assert.Contains(t, err.Error(), "image is being used by stopped container c1")
	_, err = s.Remove(ctx, mustRef(t, registryRef("library/first:1")), imagesvc.RemoveOptions{Force: true})
	require.NoError(t, err)
	assert.Equal(t, []string{registryRef("library/second:1"), danglingName(first.Target.Digest)}, recordNames(t, s),
		"forced, the image is untagged and stays, as one a stopped container uses")
	committed, _ = committedSnapshots(t, s)
	assert.Len(t, committed, 3, "the view keeps its layers")
	root = mountView(t, ms)
	assert.Equal(t, "rw", readFile(t, filepath.Join(root, "written")))
	require.NoError(t, mount.UnmountAll(root, 0))

	require.NoError(t, s.RemoveRootFS(ctx, "c1"))
	_, err = s.Remove(ctx, mustRef(t, first.Target.Digest.String()), imagesvc.RemoveOptions{})
	require.NoError(t, err, "the view is gone: the image is no longer used")
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "late", Image: first})
	assert.True(t, errdefs.IsNotFound(err), "a view of the removed image (its description may still be cached): %v", err)
	_, err = s.RootFSMounts(ctx, "late")
	assert.True(t, errdefs.IsNotFound(err), "nothing of it stays: %v", err)
	committed, all := committedSnapshots(t, s)
	assert.Equal(t, map[string]bool{second.ChainIDs[0].String(): true, second.ChainIDs[1].String(): true}, committed,
		"the removed image's top layer is freed; the shared base stays")
	assert.Equal(t, snapshots.KindActive, all["c1"], "the foreign snapshot is untouched")
	assert.Equal(t, []string{viewSnapshotKey("ro/2")}, viewsLeased(t, s), "the removed view left the lease")
	_, err = s.RootFSMounts(ctx, "c1")
	assert.True(t, errdefs.IsNotFound(err), "%v", err)

	require.NoError(t, s.RemoveRootFS(ctx, "ro/2"))
	_, err = s.Remove(ctx, mustRef(t, registryRef("library/second:1")), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	require.NoError(t, s.client.SnapshotService(s.snapshotter).Remove(nctx, "c1"))
	require.NoError(t, foreign.Delete(nctx, fl, leases.SynchronousDelete))
	_, all = committedSnapshots(t, s)
	assert.Empty(t, all)
	assert.Equal(t, dirs0, snapshotDirs(t, d.Root(), s.snapshotter), "every snapshot directory is gone")
}

// TestRootFSUnpacksOnPrepare prepares a view of an image whose snapshots were removed
// behind the Store's back: the prepare unpacks it again, labelled for containerd's
// garbage collector as a pull does (the image keeps its layers when the view goes).
func TestRootFSUnpacksOnPrepare(t *testing.T) {
	needRoot(t)
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			hosts, registryRef := rootfsWorld(t)
			s, _ := open(t, v, Options{HostsDir: hosts, Platform: amd64})
			ctx := context.Background()
			_, ri := pullFirst(t, s, registryRef)
			dropSnapshots(t, s, ri)

			ms, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "u", Image: ri})
			require.NoError(t, err)
			root := mountView(t, ms)
			assert.Equal(t, "new\n", readFile(t, filepath.Join(root, "d/new")))
			require.NoError(t, mount.UnmountAll(root, 0))
			require.NoError(t, s.RemoveRootFS(ctx, "u"))
			committed, all := committedSnapshots(t, s)
			assert.Len(t, all, 2)
			assert.True(t, committed[rootfs.ChainID(ri).String()], "the image's record keeps what the prepare unpacked")
			sums, err := s.List(ctx, imagesvc.ListOptions{Manifests: true})
			require.NoError(t, err)
			require.Len(t, sums, 1)
			require.Len(t, sums[0].Manifests, 1)
			assert.Positive(t, sums[0].Manifests[0].ImageData.Unpacked, "the snapshotter's usage")
			leasesLeft, err := s.client.LeasesService().List(s.nsContext(ctx), fmt.Sprintf("labels.%q", labelPrepare))
			require.NoError(t, err)
			assert.Empty(t, leasesLeft, "the prepare's temporary lease is gone")
			assert.Empty(t, viewsLeased(t, s), "the views lease holds nothing")

			// The views lease deleted behind the Store's back releases no view (they are
			// garbage collection roots), and is created again.
			_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "kept", Image: ri})
			require.NoError(t, err)
			require.NoError(t, s.client.LeasesService().Delete(s.nsContext(ctx), leases.Lease{ID: viewsLeaseID}, leases.SynchronousDelete))
			_, err = s.RootFSMounts(ctx, "kept")
			require.NoError(t, err, "a view outlives the views lease")
			_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "u2", Image: ri})
			require.NoError(t, err)
			assert.Equal(t, []string{viewSnapshotKey("u2")}, viewsLeased(t, s))
			require.NoError(t, s.RemoveRootFS(ctx, "u2"))
			require.NoError(t, s.RemoveRootFS(ctx, "kept"))
		})
	}
}

// TestRootFSRefusedOnPrepare prepares a view of an image another client recorded
// without unpacking it, whose second layer containerd's apply refuses (a whiteout of
// ".."): the prepare fails with the applier's error and, when it returns, leaves no
// snapshot, not even the first layer it had committed.
func TestRootFSRefusedOnPrepare(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			s, _ := open(t, v, Options{Platform: amd64})
			ctx := context.Background()
			var layers [][]testimages.File
			for _, c := range testimages.HostileCases(t.TempDir(), "escaped") {
				if c.Name == "whiteout-dotdot" {
					layers = c.Layers
				}
			}
			require.Len(t, layers, 2)
			img, err := testimages.HostileImage(amd64.Architecture, layers)
			require.NoError(t, err)
			man, _, err := img.Manifest(img.Descriptor.Digest)
			require.NoError(t, err)
			nctx := s.nsContext(ctx)
			for _, dg := range img.Digests() {
				var opts []content.Opt
				if dg == img.Descriptor.Digest {
					opts = append(opts, content.WithLabels(map[string]string{
						"containerd.io/gc.ref.content.config": man.Config.Digest.String(),
						"containerd.io/gc.ref.content.l.0":    man.Layers[0].Digest.String(),
						"containerd.io/gc.ref.content.l.1":    man.Layers[1].Digest.String(),
					}))
				}
				b := img.Blobs[dg]
				require.NoError(t, content.WriteBlob(nctx, s.client.ContentStore(), "hostile-"+dg.String(), bytes.NewReader(b.Data), b.Descriptor, opts...))
			}
			_, err = s.client.ImageService().Create(nctx, images.Image{Name: "docker.io/library/hostile:1", Target: img.Descriptor})
			require.NoError(t, err)

			ri, err := s.ResolveRuntimeImage(ctx, mustRef(t, "hostile:1"), nil)
			require.NoError(t, err)
			_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "h", Image: ri})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "invalid whiteout name")
			_, all := committedSnapshots(t, s)
			assert.Empty(t, all, "a refused prepare leaves no snapshot")
			views, err := s.RootFSViews(ctx)
			require.NoError(t, err)
			assert.Empty(t, views)
		})
	}
}

// viewsLeased returns the keys of the snapshots the views lease holds, sorted.
func viewsLeased(t *testing.T, s *Store) []string {
	t.Helper()
	rs, err := s.client.LeasesService().ListResources(s.nsContext(context.Background()), leases.Lease{ID: viewsLeaseID})
	require.NoError(t, err)
	var keys []string
	for _, r := range rs {
		assert.Equal(t, "snapshots/"+s.snapshotter, r.Type)
		keys = append(keys, r.ID)
	}
	slices.Sort(keys)
	return keys
}

// pullFirst pulls library/first:1 of rootfsWorld into s and resolves it.
func pullFirst(t *testing.T, s *Store, registryRef func(string) string) (string, imagesvc.RuntimeImage) {
	t.Helper()
	ref := registryRef("library/first:1")
	pullImage(t, s, ref, nil)
	ri, err := s.ResolveRuntimeImage(context.Background(), mustRef(t, ref), nil)
	require.NoError(t, err)
	return ref, ri
}

// dropSnapshots removes the snapshots of ri's layers, top first, as `ctr snapshot rm`.
func dropSnapshots(t *testing.T, s *Store, ri imagesvc.RuntimeImage) {
	t.Helper()
	sn := s.client.SnapshotService(s.snapshotter)
	for i := len(ri.ChainIDs) - 1; i >= 0; i-- {
		// The garbage collector may have been quicker: the lower snapshots are no longer
		// referenced once the top one is gone.
		if err := sn.Remove(s.nsContext(context.Background()), ri.ChainIDs[i].String()); !errdefs.IsNotFound(err) {
			require.NoError(t, err)
		}
	}
	_, all := committedSnapshots(t, s)
	require.Empty(t, all)
}

// TestRootFSCrash kills (SIGKILL) a process in the middle of a prepare's unpack, while
// the daemon applies the image's second layer: no half-applied layer is committed, and
// the next prepare, from another Store, works.
func TestRootFSCrash(t *testing.T) {
	needRoot(t)
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			hosts, registryRef := rootfsWorld(t)
			s, d := open(t, v, Options{HostsDir: hosts, Platform: amd64})
			ctx := context.Background()
			ref, ri := pullFirst(t, s, registryRef)
			dropSnapshots(t, s, ri)

			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "ROOTFS_CRASH_ADDRESS="+d.Address(), "ROOTFS_CRASH_NAMESPACE="+s.Namespace(),
				"ROOTFS_CRASH_SNAPSHOTTER="+s.snapshotter, "ROOTFS_CRASH_REF="+ref)
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			cmd.Stderr = os.Stderr
			require.NoError(t, cmd.Start())
			sc := bufio.NewScanner(out)
			applying := false
			for sc.Scan() {
				if sc.Text() == "APPLYING 2" {
					applying = true
					break
				}
			}
			require.True(t, applying, "the child reached the second layer's apply")
			time.Sleep(2 * time.Millisecond)
			require.NoError(t, cmd.Process.Kill())
			_ = cmd.Wait()

			committed, all := committedSnapshots(t, s)
			assert.Equal(t, map[string]bool{ri.ChainIDs[0].String(): true}, committed,
				"the second layer was not committed")
			t.Logf("snapshots after the kill: %v", all)
			ls, err := s.client.LeasesService().List(s.nsContext(ctx), fmt.Sprintf("labels.%q", labelPrepare))
			require.NoError(t, err)
			require.Len(t, ls, 1, "the dead prepare's unpack lease")
			assert.Equal(t, "crash", ls[0].Labels[labelPrepare])
			assert.NotEmpty(t, ls[0].Labels["containerd.io/gc.expire"], "it expires: the garbage collector then removes the half-applied layer")
			views, err := s.RootFSViews(ctx)
			require.NoError(t, err)
			assert.Empty(t, views)

			s2, _ := open(t, v, Options{Namespace: s.Namespace(), HostsDir: hosts, Platform: amd64})
			ms, err := s2.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "crash", Image: ri})
			require.NoError(t, err)
			root := mountView(t, ms)
			assert.Equal(t, "new\n", readFile(t, filepath.Join(root, "d/new")))
			assert.NoFileExists(t, filepath.Join(root, "etc/gone"))
			require.NoError(t, mount.UnmountAll(root, 0))
			require.NoError(t, s2.RemoveRootFS(ctx, "crash"))
		})
	}
}

// crashChild is the process TestRootFSCrash kills (TestMain runs it when
// ROOTFS_CRASH_ADDRESS is set): it prepares a view and writes "APPLYING 2" on stdout when
// the daemon starts applying the second layer, then waits to be killed.
func crashChild() int {
	var applies atomic.Int32
	icpt := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if !strings.HasSuffix(method, ".Diff/Apply") || applies.Add(1) < 2 {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		go func() { _ = invoker(ctx, method, req, reply, cc, opts...) }()
		os.Stdout.WriteString("\nAPPLYING 2\n")
		select {} // until killed
	}
	ctx := context.Background()
	s, err := New(ctx, Options{Address: os.Getenv("ROOTFS_CRASH_ADDRESS"), Namespace: os.Getenv("ROOTFS_CRASH_NAMESPACE"),
		Snapshotter: os.Getenv("ROOTFS_CRASH_SNAPSHOTTER"), Platform: amd64,
		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(icpt)}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ref, err := imagesvc.ParseImageRef(os.Getenv("ROOTFS_CRASH_REF"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ri, err := s.ResolveRuntimeImage(ctx, ref, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "crash", Image: ri})
	fmt.Fprintf(os.Stderr, "the prepare returned (%v) instead of being killed\n", err)
	return 1
}

// BenchmarkPrepareRootFS measures PrepareRootFS of a view on an image already unpacked
// (what container start latency sees), on containerd 2.x: the manifest from the cached
// description, the snapshot Prepare in the views lease (one transaction in the daemon),
// and the image's existence checked in the daemon's records. Each view is removed,
// outside the timing, before the next. The image has 4 layers. The daemon's directories
// are on a tmpfs unless CONTAINERD_ON_DISK=1 (then its metadata database syncs each
// transaction to the disk).
func BenchmarkPrepareRootFS(b *testing.B) {
	img, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Layers: [][]testimages.File{
		{{Name: "bin/base", Data: []byte("base\n")}},
		{{Name: "etc/one", Data: []byte("one\n")}},
		{{Name: "etc/two", Data: []byte("two\n")}},
		{{Name: "etc/top", Data: []byte("top\n")}},
	}})
	require.NoError(b, err)
	reg := testregistry.New(b, testregistry.Options{})
	require.NoError(b, reg.Put("library/bench", "1", img))
	hosts := b.TempDir()
	require.NoError(b, reg.WriteHostsDir(hosts))
	s, _ := open(b, containerdtest.Version2, Options{HostsDir: hosts, Platform: amd64})
	ctx := context.Background()
	named, err := imagesvc.ParsePullReference(reg.Host()+"/library/bench:1", "", "")
	require.NoError(b, err)
	_, err = s.Pull(ctx, imagesvc.PullRequest{Ref: named}, nil)
	require.NoError(b, err)
	ref, err := imagesvc.ParseImageRef(named.String())
	require.NoError(b, err)
	ri, err := s.ResolveRuntimeImage(ctx, ref, nil)
	require.NoError(b, err)
	_, err = s.List(ctx, imagesvc.ListOptions{}) // warm the cache, as a running service's
	require.NoError(b, err)
	for b.Loop() {
		if _, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "bench", Image: ri}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.RemoveRootFS(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// TestViewsCountAsContainers: a view counts as a container of its image's manifest in
// List (as a stopped container does in Docker's), whether this Store or another one on
// the namespace prepared it, and ListVersion changes when a view is prepared or removed.
func TestViewsCountAsContainers(t *testing.T) {
	needRoot(t)
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			hosts, registryRef := rootfsWorld(t)
			s, _ := open(t, v, Options{HostsDir: hosts, Platform: amd64})
			other, _ := open(t, v, Options{HostsDir: hosts, Platform: amd64, Namespace: s.Namespace()})
			ctx := context.Background()
			_, ri := pullFirst(t, s, registryRef)
			users := func() []string {
				t.Helper()
				sums, err := s.List(ctx, imagesvc.ListOptions{Manifests: true})
				require.NoError(t, err)
				require.Len(t, sums, 1)
				require.Len(t, sums[0].Manifests, 1)
				got := sums[0].Manifests[0].ImageData.Containers
				assert.Equal(t, int64(len(got)), sums[0].Containers)
				slices.Sort(got)
				return got
			}
			version := func() string {
				t.Helper()
				v, err := s.ListVersion(ctx)
				require.NoError(t, err)
				return v
			}
			assert.Empty(t, users())
			v0 := version()

			_, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "mine", Image: ri, ReadOnly: true})
			require.NoError(t, err)
			v1 := version()
			assert.NotEqual(t, v0, v1, "a read-only view of this Store")
			assert.Equal(t, []string{"mine"}, users())

			_, err = other.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "theirs", Image: ri})
			require.NoError(t, err)
			v2 := version()
			assert.NotEqual(t, v1, v2, "another Store's view (its snapshot event)")
			assert.Equal(t, []string{"mine", "theirs"}, users())
			_, err = other.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "theirs-ro", Image: ri, ReadOnly: true})
			require.NoError(t, err)
			v2b := version()
			assert.NotEqual(t, v2, v2b, "another Store's read-only view (the event it publishes)")
			assert.Equal(t, []string{"mine", "theirs", "theirs-ro"}, users())
			require.NoError(t, other.RemoveRootFS(ctx, "theirs-ro"))
			v2 = version()

			require.NoError(t, other.RemoveRootFS(ctx, "theirs"))
			v3 := version()
			assert.NotEqual(t, v2, v3)
			assert.Equal(t, []string{"mine"}, users())
			require.NoError(t, s.RemoveRootFS(ctx, "mine"))
			assert.NotEqual(t, v3, version())
			assert.Empty(t, users())
		})
	}
}

// TestPrepareRemoveRace prepares a view of an image while this Store removes the image
// (not forced), with the removal started at varying points of the prepare: the image is
// never deleted while a view of it exists. Either the prepare's view comes first and the
// removal is a Conflict, or the removal deletes the image first and the prepare fails
// with NotFound, leaving no view.
func TestPrepareRemoveRace(t *testing.T) {
	needRoot(t)
	hosts, registryRef := rootfsWorld(t)
	s, _ := open(t, containerdtest.Version2, Options{HostsDir: hosts, Platform: amd64})
	ctx := context.Background()
	rounds := 30
	if testing.Short() {
		rounds = 10
	}
	ref, ri := pullFirst(t, s, registryRef)
	start := time.Now()
	_, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "solo", Image: ri})
	require.NoError(t, err)
	span := time.Since(start) * 3 / 2
	require.NoError(t, s.RemoveRootFS(ctx, "solo"))
	prepared, deleted := 0, 0
	for i := range rounds {
		if i > 0 {
			pullImage(t, s, ref, nil)
		}
		key := fmt.Sprintf("race-%d", i)
		delay := time.Duration(rand.Int64N(int64(span) + 1))
		var (
			wg             sync.WaitGroup
			prepErr, rmErr error
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, prepErr = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: key, Image: ri})
		}()
		go func() {
			defer wg.Done()
			time.Sleep(delay)
			_, rmErr = s.Remove(ctx, mustRef(t, ref), imagesvc.RemoveOptions{})
		}()
		wg.Wait()
		views, err := s.RootFSViews(ctx)
		require.NoError(t, err)
		recs, err := s.client.ImageService().List(s.nsContext(ctx), "target.digest=="+ri.Target.Digest.String())
		require.NoError(t, err)
		switch {
		case prepErr == nil:
			require.Len(t, views, 1, "round %d: the view", i)
			require.NotEmpty(t, recs, "round %d: a view outlives an image removed without force (remove: %v)", i, rmErr)
			require.True(t, errdefs.IsConflict(rmErr), "round %d: %v", i, rmErr)
			prepared++
			require.NoError(t, s.RemoveRootFS(ctx, key))
			_, err = s.Remove(ctx, mustRef(t, ref), imagesvc.RemoveOptions{})
			require.NoError(t, err)
		default:
			require.True(t, errdefs.IsNotFound(prepErr), "round %d: %v", i, prepErr)
			require.NoError(t, rmErr, "round %d", i)
			require.Empty(t, views, "round %d: a failed prepare leaves no view", i)
			require.Empty(t, recs, "round %d", i)
			deleted++
		}
	}
	t.Logf("%d rounds: the view first %d times, the removal first %d times", rounds, prepared, deleted)
}
