package testimages

import (
	"archive/tar"
	"debug/elf"
	"fmt"
	"os"
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

// HostileLayers returns the files of layers that try to write outside the directory they
// are applied to, by name: "../" paths, an absolute path, a symlink to an absolute
// directory (outside, which the caller creates and checks stays empty) and one to "..",
// each followed by a file written through it, and a hard link to a file outside. Every
// write that escapes lands on a file named "escaped" (or "/escaped-abs"). They are the
// escapes the import tests' bad archives hold as archive members, as image layers.
func HostileLayers(outside string) map[string][]File {
	return map[string][]File{
		"dotdot":      {{Name: "../escaped", Data: []byte("x")}},
		"dotdot-deep": {{Name: "a/../../escaped", Data: []byte("x")}},
		"absolute":    {{Name: "/escaped-abs", Data: []byte("x")}},
		"symlink-absolute": {
			{Name: "link", Typeflag: tar.TypeSymlink, Linkname: outside},
			{Name: "link/escaped", Data: []byte("x")},
		},
		"symlink-dotdot": {
			{Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../.."},
			{Name: "up/escaped", Data: []byte("x")},
		},
		"hardlink-outside": {{Name: "hard", Typeflag: tar.TypeLink, Linkname: "../../../../etc/hostname"}},
	}
}

// HostileImage builds a single-layer OCI image (linux of arch) of files, such as one of
// [HostileLayers].
func HostileImage(arch string, files []File) (*Image, error) {
	return OCIManifest(Config{
		Platform: platformFor(arch),
		Labels:   map[string]string{"com.example.kind": "hostile"},
		Layers:   [][]File{files},
	})
}

func platformFor(arch string) ocispec.Platform {
	if arch == "" {
		arch = "amd64"
	}
	return ocispec.Platform{OS: "linux", Architecture: arch}
}
