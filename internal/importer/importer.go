// Package importer is the import engine shared by the backends: it turns a root
// filesystem archive (POST /images/create?fromSrc=...) into a one-layer OCI image in a
// containerd content store.
//
// [Import] reads the archive (a tar, uncompressed or compressed with gzip, zstd, bzip2 or
// xz), checks that it is a well-formed tar stream to its end, stores it as a gzip layer
// and writes an OCI image config and manifest for it. The image ID is the manifest's
// digest, as in Docker's containerd image store. Unlike Docker's containerd store, which
// keeps a gzip or zstd body as it is, every archive is recompressed to gzip: the layer is
// then always a canonical gzip blob whatever the client sent.
//
// The archive is never extracted, so entries that would be unsafe to extract (paths with
// "..", absolute symlinks, device nodes) are stored as they are: they are data, and the
// runtime that eventually unpacks the layer applies its own rules. The size of the
// archive is bounded, before and after decompression ([Options.MaxSize]).
//
// URL sources are fetched by the caller, with [FetchURL], which maps HTTP failures the way
// Docker does; the body is then passed to Import as the source.
package importer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/archive/compression"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/pull"
)

// DefaultMaxSize is the bound on an archive's size when [Options.MaxSize] is zero: 8 GiB.
const DefaultMaxSize int64 = 8 << 30

// progressInterval is the shortest time between two "Importing" events.
const progressInterval = 100 * time.Millisecond

// Options are the settings of one [Import].
type Options struct {
	// MaxSize bounds the archive, both as read and once decompressed, in bytes; 0 means
	// [DefaultMaxSize]. A larger archive fails with ResourceExhausted (the client's
	// fault: the HTTP adapter answers 413).
	MaxSize int64
	// Platform is the image's platform when the request names none; the zero value means
	// the host's (platforms.DefaultSpec).
	Platform ocispec.Platform
	// Now returns the creation time of the image; nil means time.Now.
	Now func() time.Time
	// SourceSize is the size of the source when it is known (the Content-Length of a URL
	// source), reported as the total of "Importing" progress; 0 or negative when unknown.
	SourceSize int64
}

// Result describes an imported image. Its content is committed to the ingester.
type Result struct {
	// Manifest is the OCI image manifest; its digest is the image ID.
	Manifest ocispec.Descriptor
	// Config is the OCI image config.
	Config ocispec.Descriptor
	// Layer is the gzip layer.
	Layer ocispec.Descriptor
	// DiffID is the digest of the uncompressed layer (the archive as a plain tar).
	DiffID digest.Digest
	// Unpacked is the size of the uncompressed layer.
	Unpacked int64
	// ConfigFile is the config as written, for the backend to index (created time,
	// labels, platform).
	ConfigFile model.ConfigFile
}

// Import creates an image from the archive req.Source and writes its layer, config and
// manifest to ing.
//
// The config has created = Now() (UTC), the platform of req.Platform as given (an empty
// OS or architecture taken from the default) or the default (os, architecture, variant), rootfs.diff_ids = [DiffID], one history entry {created,
// comment: req.Message} (the message is also the legacy top-level comment), and as its
// runtime config the result of req.Changes applied to an empty config, with Docker's
// extensions (Healthcheck, OnBuild, Shell) inside "config".
//
// Labels are set on commit, for stores that keep them: [pull.LabelUncompressed] and
// [pull.LabelUnpackedSize] on the layer, containerd's GC references on the manifest.
//
// When progress is not nil Import reports "Importing" progress records with Detail
// {Current: bytes of the source read so far, Total: opts.SourceSize}, at most every
// 100ms; Docker sends them for URL sources only, so a backend passes a nil progress for a
// request body. The final {"status":"<image ID>"} line is the caller's.
//
// Nothing that Import writes is an image until the backend records it: the backend
// records the image only once Import returns nil. A failed Import aborts its layer ingest
// when ing is also a content.IngestManager; blobs it already committed (content
// addressed, so harmless) are left for the backend's garbage collection.
//
// Errors: InvalidArgument when req.URL is set (use FetchURL and pass the body), when
// req.Source is nil, or when the source is not a tar archive in a supported compression,
// or is truncated, corrupt or empty (no bytes at all once decompressed; a tar holding
// no entries is fine); ResourceExhausted when it exceeds the size bound, as sent or
// once decompressed (the message names the bound and the backend option that sets it);
// a [*NoSpaceError] (class Internal) when the store runs out of disk; NotImplemented for
// xz when the xz command is not installed; the class of the source's own read error (a
// client that went away); the context's error when ctx ends. Other failures of the
// store keep the store's error (no class: the server's failure).
func Import(ctx context.Context, ing content.Ingester, req imagesvc.ImportRequest, opts Options, progress imagesvc.ProgressFunc) (Result, error) {
	if req.URL != nil {
		return Result{}, errdefs.ErrInvalidArgument.WithMessage("import: URL sources are fetched by the caller (see FetchURL)")
	}
	if req.Source == nil {
		return Result{}, errdefs.ErrInvalidArgument.WithMessage("import: no archive to import")
	}
	if ing == nil {
		return Result{}, fmt.Errorf("import: no content store: %w", errdefs.ErrInvalidArgument)
	}
	// The changes apply to an empty config (Docker's import); before any byte is written.
	cfg := imagesvc.ImageConfig{}
	if err := req.Changes.Apply(&cfg); err != nil {
		return Result{}, err
	}
	maxSize := opts.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	platform := opts.Platform
	if platform.OS == "" && platform.Architecture == "" {
		platform = platforms.DefaultSpec()
	}
	if req.Platform != nil {
		// As given (the transport has parsed it): Normalize would drop arm64's "v8".
		p := *req.Platform
		if p.OS == "" {
			p.OS = platform.OS
		}
		if p.Architecture == "" {
			p.Architecture, p.Variant = platform.Architecture, platform.Variant
		}
		platform = p
	}

	var em *emitter
	if progress != nil {
		em = &emitter{fn: progress, total: max(opts.SourceSize, 0)}
		defer em.close()
	}
	src := NewBoundedReader(ctx, req.Source, maxSize, em.report)

	layer, diffID, unpacked, err := writeLayer(ctx, ing, src, maxSize)
	if err != nil {
		return Result{}, err
	}
	em.close()

	created := now().UTC()
	cf := model.ConfigFile{
		Image: ocispec.Image{
			Created: &created,
			Platform: ocispec.Platform{
				OS:           platform.OS,
				Architecture: platform.Architecture,
				Variant:      platform.Variant,
				OSVersion:    platform.OSVersion,
				OSFeatures:   platform.OSFeatures,
			},
			RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
			History: []ocispec.History{{Created: &created, Comment: req.Message}},
		},
		Config:  cfg,
		Comment: req.Message,
	}
	configDesc, err := writeJSON(ctx, ing, ocispec.MediaTypeImageConfig, cf, nil)
	if err != nil {
		return Result{}, err
	}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    configDesc,
		Layers:    []ocispec.Descriptor{layer},
	}
	manifestDesc, err := writeJSON(ctx, ing, ocispec.MediaTypeImageManifest, m, map[string]string{
		"containerd.io/gc.ref.content.config": configDesc.Digest.String(),
		"containerd.io/gc.ref.content.l.0":    layer.Digest.String(),
	})
	if err != nil {
		return Result{}, err
	}
	return Result{
		Manifest:   manifestDesc,
		Config:     configDesc,
		Layer:      layer,
		DiffID:     diffID,
		Unpacked:   unpacked,
		ConfigFile: cf,
	}, nil
}

// writeJSON writes v as a blob of the given media type.
func writeJSON(ctx context.Context, ing content.Ingester, mediaType string, v any, labels map[string]string) (ocispec.Descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	var opts []content.Opt
	if labels != nil {
		opts = append(opts, content.WithLabels(labels))
	}
	if err := content.WriteBlob(ctx, ing, "import-"+desc.Digest.String(), bytes.NewReader(data), desc, opts...); err != nil {
		if ctx.Err() != nil {
			return ocispec.Descriptor{}, ctx.Err()
		}
		return ocispec.Descriptor{}, StoreError("writing "+desc.Digest.String(), err)
	}
	return desc, nil
}

// emitter reports throttled "Importing" progress until closed.
type emitter struct {
	mu     sync.Mutex
	fn     imagesvc.ProgressFunc
	total  int64
	last   time.Time
	closed bool
}

func (e *emitter) report(current int64) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	if now := time.Now(); now.Sub(e.last) >= progressInterval {
		e.last = now
		e.fn(imagesvc.ProgressEvent{Status: imagesvc.StatusImporting, Detail: &imagesvc.ProgressDetail{Current: current, Total: e.total}})
	}
}

// close stops reporting: decompressors reading in the background report no more.
func (e *emitter) close() {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
}

// limitReader fails with errTooLarge past limit bytes.
type limitReader struct {
	r        io.Reader
	n, limit int64
	exceeded bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.limit {
		l.exceeded = true
		return 0, errTooLarge
	}
	return n, err
}

// writeLayer decompresses src, checks the tar stream and writes it gzip-compressed to
// ing, returning the layer's descriptor, diff ID and uncompressed size.
func writeLayer(ctx context.Context, ing content.Ingester, src *BoundedReader, maxSize int64) (ocispec.Descriptor, digest.Digest, int64, error) {
	ref := "import-" + randomHex()
	cw, err := content.OpenWriter(ctx, ing, content.WithRef(ref))
	if err != nil {
		if ctx.Err() != nil {
			return ocispec.Descriptor{}, "", 0, ctx.Err()
		}
		return ocispec.Descriptor{}, "", 0, StoreError("opening a writer", err)
	}
	committed := false
	defer func() {
		cw.Close()
		if !committed {
			if im, ok := ing.(content.IngestManager); ok {
				_ = im.Abort(context.WithoutCancel(ctx), ref)
			}
		}
	}()

	layerDigester := digest.Canonical.Digester()
	var layerSize countWriter
	sw := &storeWriter{w: cw}
	gz, err := compression.CompressStream(io.MultiWriter(sw, layerDigester.Hash(), &layerSize), compression.Gzip)
	if err != nil {
		return ocispec.Descriptor{}, "", 0, err
	}

	diffDigester := digest.Canonical.Digester()
	dec, err := decompress(ctx, src)
	if err != nil {
		return ocispec.Descriptor{}, "", 0, archiveError(ctx, src, nil, sw, err)
	}
	defer dec.Close()
	ul := &limitReader{r: dec, limit: maxSize}
	tee := io.TeeReader(ul, io.MultiWriter(gz, diffDigester.Hash()))
	tr := tar.NewReader(tee)
	for {
		// Entries are only read, never extracted: with GODEBUG=tarinsecurepath=0 the
		// reader flags unsafe names, which are data here.
		if _, err = tr.Next(); err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			break
		}
	}
	if err == io.EOF {
		// Whatever follows the end-of-archive marker (zero padding) is part of the layer.
		_, err = io.Copy(io.Discard, tee)
	}
	if err != nil {
		return ocispec.Descriptor{}, "", 0, archiveError(ctx, src, ul, sw, err)
	}
	if ul.n == 0 {
		if err := src.Err(); err != nil {
			return ocispec.Descriptor{}, "", 0, fmt.Errorf("import: reading the archive: %w", err)
		}
		return ocispec.Descriptor{}, "", 0, errdefs.ErrInvalidArgument.WithMessage("invalid tar archive: the archive is empty")
	}
	if err := gz.Close(); err != nil {
		if ctx.Err() != nil {
			return ocispec.Descriptor{}, "", 0, ctx.Err()
		}
		if sw.err != nil {
			return ocispec.Descriptor{}, "", 0, StoreError("writing the layer", sw.err)
		}
		return ocispec.Descriptor{}, "", 0, fmt.Errorf("import: compressing the layer: %w", err)
	}
	desc := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageLayerGzip,
		Digest:    layerDigester.Digest(),
		Size:      int64(layerSize),
	}
	diffID := diffDigester.Digest()
	labels := map[string]string{
		pull.LabelUncompressed: diffID.String(),
		pull.LabelUnpackedSize: strconv.FormatInt(ul.n, 10),
	}
	if err := cw.Commit(ctx, desc.Size, desc.Digest, content.WithLabels(labels)); err != nil && !errdefs.IsAlreadyExists(err) {
		if ctx.Err() != nil {
			return ocispec.Descriptor{}, "", 0, ctx.Err()
		}
		return ocispec.Descriptor{}, "", 0, StoreError("committing the layer", err)
	}
	committed = true
	return desc, diffID, ul.n, nil
}

// raiseHint tells the client how the bound is raised: it is the host's setting.
const raiseHint = "the host raises the limit with the backend option MaxImportSize"

// NoSpaceError reports that the store ran out of disk while storing an import: the
// server's failure, of class Internal (errdefs.IsInternal), that matches the store's own
// error too (errors.Is(err, syscall.ENOSPC) when that is what the store returned).
type NoSpaceError struct {
	// Err is the store's error.
	Err error
}

func (e *NoSpaceError) Error() string {
	return "no space left on device while storing the import: " + e.Err.Error()
}

// Unwrap returns the class Internal and the store's error.
func (e *NoSpaceError) Unwrap() []error { return []error{errdefs.ErrInternal, e.Err} }

// IsNoSpace reports whether err, an error of a store, says the disk is full: ENOSPC, or
// its text through a transport that lost the type (containerd's gRPC API), or SQLite's
// "database or disk is full". Only a store's errors are to be asked: the text of an
// archive error is partly the client's.
func IsNoSpace(err error) bool {
	if err == nil {
		return false
	}
	var nse *NoSpaceError
	if errors.Is(err, syscall.ENOSPC) || errors.As(err, &nse) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "no space left on device") || strings.Contains(msg, "database or disk is full")
}

// StoreError returns the error of a store's failure during op: a [*NoSpaceError] when
// the disk is full, else the store's error (keeping its class) with op in the text.
func StoreError(op string, err error) error {
	var nse *NoSpaceError
	if errors.As(err, &nse) {
		return err
	}
	if IsNoSpace(err) {
		return &NoSpaceError{Err: err}
	}
	return fmt.Errorf("import: %s: %w", op, err)
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// storeWriter writes to the content store and remembers the store's error: a write
// failure surfaces as a read error of the tar reader, and is the server's, not the
// archive's.
type storeWriter struct {
	w   io.Writer
	err error
}

func (s *storeWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}

// archiveError classifies a failure to read the archive.
func archiveError(ctx context.Context, src *BoundedReader, ul *limitReader, sw *storeWriter, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if sw.err != nil {
		return StoreError("writing the layer", sw.err)
	}
	if ul != nil && ul.exceeded {
		return errdefs.ErrResourceExhausted.WithMessage(fmt.Sprintf(
			"archive exceeds the import size limit of %d bytes once decompressed; %s", src.Limit(), raiseHint))
	}
	if src.Exceeded() || errors.Is(err, errTooLarge) {
		return errdefs.ErrResourceExhausted.WithMessage(fmt.Sprintf(
			"archive exceeds the import size limit of %d bytes; %s", src.Limit(), raiseHint))
	}
	if rerr := src.Err(); rerr != nil {
		return fmt.Errorf("import: reading the archive: %w", rerr)
	}
	var nie notInstalledError
	if errors.As(err, &nie) {
		return errdefs.ErrNotImplemented.WithMessage(nie.Error())
	}
	switch {
	case errors.Is(err, tar.ErrHeader), errors.Is(err, tar.ErrFieldTooLong):
		return errdefs.ErrInvalidArgument.WithMessage("invalid tar archive: " + err.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errdefs.ErrInvalidArgument.WithMessage("invalid tar archive: the archive is truncated: " + err.Error())
	}
	return errdefs.ErrInvalidArgument.WithMessage("invalid archive: " + err.Error())
}

// Magic numbers of the compressions containerd's compression package does not detect.
var (
	bzip2Magic = []byte{'B', 'Z', 'h'}
	xzMagic    = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
)

// Decompress returns r decompressed, whatever its compression: gzip, bzip2, xz, zstd or
// none (the formats docker load accepts). An xz archive needs the xz command; without it
// the error is of class NotImplemented. Close releases the decompressor.
func Decompress(ctx context.Context, r io.Reader) (io.ReadCloser, error) {
	rc, err := decompress(ctx, r)
	var nie notInstalledError
	if errors.As(err, &nie) {
		return nil, errdefs.ErrNotImplemented.WithMessage(nie.Error())
	}
	return rc, err
}

// decompress returns the decompressed archive: bzip2 with the standard library, xz with
// the xz command (as Docker does), and gzip, zstd or no compression with containerd's
// compression.DecompressStream.
func decompress(ctx context.Context, r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	magic, err := br.Peek(len(xzMagic))
	if err != nil && err != io.EOF {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(magic, bzip2Magic):
		return io.NopCloser(bzip2.NewReader(br)), nil
	case bytes.HasPrefix(magic, xzMagic):
		return xzDecompress(ctx, br)
	}
	return compression.DecompressStream(br)
}

// notInstalledError reports a missing decompression command.
type notInstalledError struct{ cmd string }

func (e notInstalledError) Error() string {
	return fmt.Sprintf("%s-compressed archives need the %s command, which is not installed", e.cmd, e.cmd)
}

// xzDecompress runs xz -d -c -q over r.
func xzDecompress(ctx context.Context, r io.Reader) (io.ReadCloser, error) {
	path, err := exec.LookPath("xz")
	if err != nil {
		return nil, notInstalledError{"xz"}
	}
	cmd := exec.CommandContext(ctx, path, "-d", "-c", "-q")
	cmd.Stdin = r
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4096}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &cmdReader{cmd: cmd, stdout: stdout, stderr: &stderr}, nil
}

// cmdReader reads a command's output and reports its failure at the end.
type cmdReader struct {
	cmd    *exec.Cmd
	stdout io.ReadCloser
	stderr *bytes.Buffer
	waited bool
	err    error
}

func (c *cmdReader) Read(p []byte) (int, error) {
	if c.waited {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	n, err := c.stdout.Read(p)
	if err == io.EOF {
		c.waited = true
		if werr := c.cmd.Wait(); werr != nil {
			c.err = fmt.Errorf("xz: %v: %s", werr, bytes.TrimSpace(c.stderr.Bytes()))
			return n, c.err
		}
	}
	return n, err
}

func (c *cmdReader) Close() error {
	if c.waited {
		return nil
	}
	c.waited = true
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
	return nil
}

// limitedBuffer keeps the first max bytes written.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func randomHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
