package testimages

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BadArchive is an archive that a load must refuse, leaving nothing behind. Its valid
// blobs come first and its fault last, so that a load has written blobs when it fails.
type BadArchive struct {
	// Name names the case.
	Name string
	// Class is the errdefs class of the load's error (errdefs.ErrInvalidArgument...).
	Class error
	// MaxSize, when not zero, is the backend's load size bound the case needs.
	MaxSize int64
	// Open streams the archive from its start; the archive is never held in memory
	// whole. The caller closes it, which stops the stream.
	Open func() io.ReadCloser
}

// BadArchives returns the archives a load must refuse, built around one small OCI
// image (one platform, linux/amd64). Each case's archive is written by a goroutine as
// it is read.
func BadArchives() ([]BadArchive, error) {
	img, err := OCIManifest(Config{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Seed: 4242})
	if err != nil {
		return nil, err
	}
	m, _, err := img.Manifest(img.Descriptor.Digest)
	if err != nil {
		return nil, err
	}
	// layout returns the members of an OCI layout of img named bad:1, without the
	// blob skip; index.json names target (img's manifest when zero).
	layout := func(skip digest.Digest, target ocispec.Descriptor) []archiveMember {
		var ms []archiveMember
		for _, d := range img.Digests() {
			if d != skip {
				ms = append(ms, archiveMember{name: "blobs/sha256/" + d.Encoded(), data: img.Blobs[d].Data})
			}
		}
		if target.Digest == "" {
			target = img.Descriptor
		}
		target.Annotations = map[string]string{"io.containerd.image.name": "docker.io/library/bad:1"}
		idx, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{target}})
		return append(ms, archiveMember{name: "index.json", data: idx}, archiveMember{name: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)})
	}
	stream := func(ms []archiveMember, cut int64) func() io.ReadCloser {
		return func() io.ReadCloser { return streamTar(ms, cut, true) }
	}
	invalid := func(name string, ms ...archiveMember) BadArchive {
		return BadArchive{Name: name, Class: errdefs.ErrInvalidArgument, Open: stream(ms, -1)}
	}
	good := layout("", ocispec.Descriptor{})

	// Metadata larger than what a load reads into memory (4 MiB for manifests and
	// indexes, 32 MiB for configs), valid JSON followed by whitespace.
	const hugeManifest, hugeConfig = 8 << 20, 40 << 20
	hugeIndex := layout("", ocispec.Descriptor{})
	for i := range hugeIndex {
		if hugeIndex[i].name == "index.json" {
			hugeIndex[i].pad = hugeManifest
		}
	}
	bigManifest := archiveMember{data: img.Blobs[img.Descriptor.Digest].Data, pad: hugeManifest}
	bigManifestDesc := ocispec.Descriptor{MediaType: img.Descriptor.MediaType, Digest: bigManifest.digest(), Size: bigManifest.size()}
	bigManifest.name = "blobs/sha256/" + bigManifestDesc.Digest.Encoded()
	hugeManifestLayout := append(layout(img.Descriptor.Digest, bigManifestDesc), bigManifest)
	var docker []archiveMember
	var layers []string
	for _, l := range m.Layers {
		name := l.Digest.Encoded() + "/layer.tar"
		docker = append(docker, archiveMember{name: name, data: img.Blobs[l.Digest].Data})
		layers = append(layers, name)
	}
	mf, _ := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{"bad:config"}, "Layers": layers}})
	docker = append(docker,
		archiveMember{name: "config.json", data: img.Blobs[m.Config.Digest].Data, pad: hugeConfig},
		archiveMember{name: "manifest.json", data: mf})

	return []BadArchive{
		invalid("huge index.json", hugeIndex...),
		invalid("huge manifest", hugeManifestLayout...),
		invalid("huge config (Docker archive)", docker...),
		invalid("dot-dot", append(good, archiveMember{name: "x/../../escape", data: []byte("x")})...),
		invalid("absolute symlink", append(good, archiveMember{name: "evil", flag: tar.TypeSymlink, link: "/etc/passwd"})...),
		{Name: "absolute symlink last, no trailer", Class: errdefs.ErrInvalidArgument,
			Open: func() io.ReadCloser {
				return streamTar(append(good, archiveMember{name: "evil", flag: tar.TypeSymlink, link: "/etc/passwd"}), -1, false)
			}},
		{Name: "dot-dot last, no trailer", Class: errdefs.ErrInvalidArgument,
			Open: func() io.ReadCloser {
				return streamTar(append(good, archiveMember{name: "../escape", data: []byte("x")}), -1, false)
			}},
		{Name: "truncated", Class: errdefs.ErrInvalidArgument, Open: stream(good, tarSize(good)/2)},
		invalid("missing config", layout(m.Config.Digest, ocispec.Descriptor{})...),
		invalid("digest mismatch", append(good, archiveMember{name: "blobs/sha256/" + digest.FromString("other").Encoded(), data: []byte("not it")})...),
		{Name: "too large", Class: errdefs.ErrResourceExhausted, MaxSize: 4096, Open: stream(good, -1)},
	}, nil
}

// archiveMember is one member of a streamed archive: data followed by pad spaces (JSON
// whitespace), so that a large member is not held in memory.
type archiveMember struct {
	name, link string
	flag       byte
	data       []byte
	pad        int64
}

func (m archiveMember) size() int64 {
	if m.flag != 0 && m.flag != tar.TypeReg {
		return 0
	}
	return int64(len(m.data)) + m.pad
}

// digest returns the digest of m's content, computed as it is streamed.
func (m archiveMember) digest() digest.Digest {
	h := sha256.New()
	_ = m.writeContent(h)
	return digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil)))
}

func (m archiveMember) writeContent(w io.Writer) error {
	if _, err := w.Write(m.data); err != nil {
		return err
	}
	spaces := slices.Repeat([]byte(" "), 64<<10)
	for left := m.pad; left > 0; {
		n := min(left, int64(len(spaces)))
		if _, err := w.Write(spaces[:n]); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// tarSize returns the size of the tar archive of ms, trailer included.
func tarSize(ms []archiveMember) int64 {
	var c countingWriter
	_ = writeTar(&c, ms, true)
	return int64(c)
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// streamTar writes the tar archive of ms to the returned reader as it is read: its
// first cut bytes when cut >= 0, and without the end-of-archive trailer when not
// trailer.
func streamTar(ms []archiveMember, cut int64, trailer bool) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		var w io.Writer = pw
		if cut >= 0 {
			w = &cutWriter{w: pw, left: cut}
		}
		err := writeTar(w, ms, trailer)
		if err == errCut {
			err = nil
		}
		pw.CloseWithError(err)
	}()
	return pr
}

func writeTar(w io.Writer, ms []archiveMember, trailer bool) error {
	tw := tar.NewWriter(w)
	for _, m := range ms {
		flag := m.flag
		if flag == 0 {
			flag = tar.TypeReg
		}
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Linkname: m.link, Typeflag: flag, Mode: 0o644, Size: m.size()}); err != nil {
			return err
		}
		if m.size() > 0 {
			if err := m.writeContent(tw); err != nil {
				return err
			}
		}
	}
	if !trailer {
		return tw.Flush()
	}
	return tw.Close()
}

// cutWriter passes on the first left bytes, then fails with errCut.
type cutWriter struct {
	w    io.Writer
	left int64
}

var errCut = io.ErrShortWrite

func (c *cutWriter) Write(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errCut
	}
	if int64(len(p)) > c.left {
		n, err := c.w.Write(p[:c.left])
		c.left -= int64(n)
		if err == nil {
			err = errCut
		}
		return n, err
	}
	n, err := c.w.Write(p)
	c.left -= int64(n)
	return n, err
}

// EndlessArchive returns an archive that never ends: one blob member claiming a size of
// 1 TiB whose zero bytes trickle in (32 KiB a millisecond). A load of it ends only by
// its context (or its size bound).
func EndlessArchive() io.Reader {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "blobs/sha256/" + digest.FromString("endless").Encoded(), Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 40})
	return io.MultiReader(&buf, slowZeros{})
}

type slowZeros struct{}

func (slowZeros) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	n := min(len(p), 32<<10)
	clear(p[:n])
	return n, nil
}

// OCIArchive returns an OCI layout archive of img whose index.json lists img once per
// name, annotated io.containerd.image.name verbatim, or once without a name when names
// is empty.
func OCIArchive(img *Image, names ...string) io.ReadCloser {
	var ms []archiveMember
	for _, d := range img.Digests() {
		ms = append(ms, archiveMember{name: "blobs/sha256/" + d.Encoded(), data: img.Blobs[d].Data})
	}
	var descs []ocispec.Descriptor
	for _, n := range names {
		d := img.Descriptor
		d.Annotations = map[string]string{images.AnnotationImageName: n}
		descs = append(descs, d)
	}
	if len(names) == 0 {
		descs = append(descs, img.Descriptor)
	}
	idx, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: descs})
	ms = append(ms, archiveMember{name: "index.json", data: idx}, archiveMember{name: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)})
	return streamTar(ms, -1, true)
}
