package testimages

import (
	"archive/tar"
	"debug/elf"
	"fmt"
	"os"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/testenv"
)

// BusyboxPath is where Debian's busybox-static package installs its statically linked
// binary, which runs in a root filesystem that holds nothing else.
const BusyboxPath = "/bin/busybox"

// BusyboxBinary returns the statically linked busybox of Debian's busybox-static package,
// installing the package when it is missing (see testenv: in CI a missing component fails
// the test, elsewhere it skips).
func BusyboxBinary(t testing.TB) []byte {
	t.Helper()
	if !staticBusybox() {
		if err := testenv.AptInstall("busybox-static"); err != nil {
			testenv.Unavailable(t, "busybox-static: %v", err)
		}
		if !staticBusybox() {
			testenv.Unavailable(t, "busybox-static installed but %s is missing or not statically linked", BusyboxPath)
		}
	}
	data, err := os.ReadFile(BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// staticBusybox reports whether BusyboxPath is an ELF program without an interpreter
// (Debian's dynamically linked busybox package installs the same path).
func staticBusybox() bool {
	f, err := elf.Open(BusyboxPath)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// Busybox builds a single-layer linux image (Docker schema 2) of the host's architecture
// holding the program busybox (the bytes [BusyboxBinary] returns) as /bin/busybox, with
// /bin/sh linked to it and an empty /tmp: a runtime test chroots into its root filesystem
// and runs "/bin/busybox echo ok".
func Busybox(busybox []byte, arch string) (*Image, error) {
	if len(busybox) == 0 {
		return nil, fmt.Errorf("testimages.Busybox: no busybox binary")
	}
	return DockerSchema2(Config{
		Platform: platformFor(arch),
		Cmd:      []string{"/bin/sh"},
		Env:      []string{"PATH=/bin"},
		Labels:   map[string]string{"com.example.kind": "busybox"},
		Layers: [][]File{{
			{Name: "bin/"},
			{Name: "bin/busybox", Data: busybox, Mode: 0o755},
			{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox"},
			{Name: "tmp/", Mode: 0o1777},
		}},
	})
}

// Whiteout files: the paths of the image [WhiteoutImage] builds.
const (
	// WhiteoutKept is a file of the lower layer the upper layer leaves alone.
	WhiteoutKept = "etc/kept"
	// WhiteoutDeleted is a file of the lower layer the upper layer deletes with the
	// whiteout etc/.wh.deleted.
	WhiteoutDeleted = "etc/deleted"
	// WhiteoutOpaqueDir is a directory of the lower layer (holding old and sub/older) that
	// the upper layer replaces with the opaque marker opaque/.wh..wh..opq and the single
	// file opaque/new.
	WhiteoutOpaqueDir = "opaque"
)

// WhiteoutImage builds a two-layer OCI image (linux of arch) whose second layer deletes a
// file of the first with a whiteout (.wh.name) and replaces a directory with an opaque
// one (.wh..wh..opq): in its root filesystem [WhiteoutKept] holds "kept\n",
// [WhiteoutDeleted] is gone, and [WhiteoutOpaqueDir] holds only "new" (content "new\n").
// seed varies the image (and so its layers).
func WhiteoutImage(arch string, seed uint64) (*Image, error) {
	tag := []byte(fmt.Sprintf("%d\n", seed))
	return OCIManifest(Config{
		Platform: platformFor(arch),
		Labels:   map[string]string{"com.example.kind": "whiteout"},
		Seed:     seed,
		Layers: [][]File{
			{
				{Name: "etc/"},
				{Name: WhiteoutKept, Data: []byte("kept\n")},
				{Name: WhiteoutDeleted, Data: []byte("deleted\n")},
				{Name: WhiteoutOpaqueDir + "/"},
				{Name: WhiteoutOpaqueDir + "/old", Data: []byte("old\n")},
				{Name: WhiteoutOpaqueDir + "/sub/"},
				{Name: WhiteoutOpaqueDir + "/sub/older", Data: []byte("older\n")},
				{Name: "seed", Data: tag},
			},
			{
				{Name: "etc/"},
				{Name: "etc/.wh.deleted"},
				{Name: WhiteoutOpaqueDir + "/"},
				{Name: WhiteoutOpaqueDir + "/.wh..wh..opq"},
				{Name: WhiteoutOpaqueDir + "/new", Data: []byte("new\n")},
			},
		},
	})
}

// The outside directory of [HostileCases]: the files it holds before the layers are
// applied, which must still be there, unchanged and not linked from anywhere, after.
const (
	// HostileTarget is a file of the outside directory that hard links try to link to and
	// writes through symlinks try to overwrite. It holds [HostileTargetData].
	HostileTarget = "target"
	// HostileTargetData is the content of [HostileTarget] (and of [HostileVictim]).
	HostileTargetData = "outside\n"
	// HostileVictim is a file of the outside directory that whiteouts try to delete.
	HostileVictim = "victim"
	// HostileData is the content of every regular file a hostile layer writes.
	HostileData = "x"
	// HostileDecoyData is the content of the file of case "hardlink-absolute-decoy" that
	// stands, inside the layer, at the outside target's path.
	HostileDecoyData = "decoy\n"
)

// HostileCase is an image's layers that try to reach outside the directory they are
// applied to.
type HostileCase struct {
	// Name names the case; it is a valid tag.
	Name string
	// Layers are the files of the image's layers, the lowest first. The first layer holds
	// the file "hostile-case" with the case's name, so that no two cases share a layer.
	Layers [][]File
}

// HostileCases returns layers that try to write, link or delete outside the directory
// they are applied to: "../" paths, absolute paths, symlinks to outside (an absolute
// directory, which the caller creates and checks, and a relative one with more "../"
// than any directory is deep) followed by a write through them in the same layer or in
// the next one, a write over a symlink to an outside file, hard links to an outside file
// (by a "../" path, an absolute one, and through a symlink), whiteouts of ".." and of
// outside files, an opaque marker through a symlink, and device nodes. (A whiteout of ".."
// at the top, ".wh...", is left out on purpose: were containerd's check of whiteout
// names ever lost, applying it on a temporary mount would delete the temporary
// directory's whole content.)
//
// outside is an absolute directory that holds [HostileTarget] and [HostileVictim]; the
// caller checks that they stay as they were and that nothing else appears there. Every
// regular file a layer writes is named escaped (choose a name unique to the test, so that
// an escape to "/" is found) and holds [HostileData].
func HostileCases(outside, escaped string) []HostileCase {
	up := strings.Repeat("../", 40)         // deeper than any directory: an escape reaches "/"
	rel := strings.TrimPrefix(outside, "/") // outside, as a path inside the layer
	link := func(name, target string) File {
		return File{Name: name, Typeflag: tar.TypeSymlink, Linkname: target}
	}
	hard := func(name, target string) File {
		return File{Name: name, Typeflag: tar.TypeLink, Linkname: target}
	}
	file := func(name string) File { return File{Name: name, Data: []byte(HostileData)} }
	cases := []HostileCase{
		{Name: "dotdot", Layers: [][]File{{file("../" + escaped)}}},
		{Name: "dotdot-deep", Layers: [][]File{{file("a/" + up + escaped)}}},
		{Name: "absolute", Layers: [][]File{{file("/" + escaped)}}},
		{Name: "absolute-outside", Layers: [][]File{{file(outside + "/" + escaped)}}},
		{Name: "symlink-absolute", Layers: [][]File{{link("link", outside), file("link/" + escaped)}}},
		{Name: "symlink-dotdot", Layers: [][]File{{link("up", strings.TrimSuffix(up, "/")), file("up/" + escaped)}}},
		{Name: "symlink-absolute-2", Layers: [][]File{{link("link", outside)}, {file("link/" + escaped)}}},
		{Name: "symlink-dotdot-2", Layers: [][]File{{link("up", strings.TrimSuffix(up, "/"))}, {file("up/" + escaped)}}},
		{Name: "symlink-overwrite", Layers: [][]File{{link(escaped, outside+"/"+HostileTarget), file(escaped)}}},
		{Name: "symlink-overwrite-2", Layers: [][]File{{link(escaped, outside+"/"+HostileTarget)}, {file(escaped)}}},
		{Name: "hardlink-dotdot", Layers: [][]File{{hard("hard", up+rel+"/"+HostileTarget)}}},
		{Name: "hardlink-absolute", Layers: [][]File{{hard("hard", outside+"/"+HostileTarget)}}},
		{Name: "hardlink-absolute-decoy", Layers: [][]File{{
			{Name: rel + "/" + HostileTarget, Data: []byte(HostileDecoyData)},
			hard("hard", outside+"/"+HostileTarget),
		}}},
		{Name: "hardlink-symlink", Layers: [][]File{{link("link", outside), hard("hard", "link/"+HostileTarget)}}},
		{Name: "hardlink-symlink-2", Layers: [][]File{{link("link", outside)}, {hard("hard", "link/"+HostileTarget)}}},
		{Name: "whiteout-dotdot", Layers: [][]File{{file("a/" + escaped)}, {{Name: "a/.wh..."}}}},
		{Name: "whiteout-absolute", Layers: [][]File{{file(escaped)}, {{Name: outside + "/.wh." + HostileVictim}}}},
		{Name: "whiteout-symlink-2", Layers: [][]File{{link("link", outside)}, {{Name: "link/.wh." + HostileVictim}}}},
		{Name: "opaque-symlink-2", Layers: [][]File{{link("link", outside)}, {{Name: "link/.wh..wh..opq"}}}},
		{Name: "device", Layers: [][]File{{
			{Name: "dev/"},
			{Name: "dev/null", Typeflag: tar.TypeChar, Mode: 0o666, Devmajor: 1, Devminor: 3},
			{Name: "dev/loop0", Typeflag: tar.TypeBlock, Mode: 0o660, Devmajor: 7, Devminor: 0},
		}}},
	}
	for i := range cases {
		cases[i].Layers[0] = append([]File{{Name: "hostile-case", Data: []byte(cases[i].Name)}}, cases[i].Layers[0]...)
	}
	return cases
}

// HostileImage builds an OCI image (linux of arch) of layers, such as a
// [HostileCase]'s.
func HostileImage(arch string, layers [][]File) (*Image, error) {
	return OCIManifest(Config{
		Platform: platformFor(arch),
		Labels:   map[string]string{"com.example.kind": "hostile"},
		Layers:   layers,
	})
}

func platformFor(arch string) ocispec.Platform {
	if arch == "" {
		arch = "amd64"
	}
	return ocispec.Platform{OS: "linux", Architecture: arch}
}
