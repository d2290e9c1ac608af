package transfer

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/importer"
	"github.com/imageapi/imageapi/internal/model"
)

// LoadOptions are the backend's settings of a load.
type LoadOptions struct {
	// MaxSize bounds the bytes read from the source, as sent and once decompressed (see
	// [importer.MaxSize]); a load over it fails with class ResourceExhausted.
	MaxSize int64
	// Host is the host platform.
	Host ocispec.Platform
	// GCLabels sets containerd's garbage collection labels
	// (containerd.io/gc.ref.content.*) on each loaded blob that references others, for
	// stores whose garbage collector follows them (containerd).
	GCLabels bool
	// Hold, when not nil, is called with each blob the load writes or reads before it
	// writes or reads it (and again once a write is committed), so that the backend
	// protects it until the load ends (a containerd lease: a blob that another load left
	// to the garbage collector may be committed again, which does not lease it). Stores
	// whose writers and readers already protect (a leased view) leave it nil.
	Hold func(ctx context.Context, d digest.Digest) error
	// VerbatimNames records a name that is not a reference verbatim, as Docker's
	// containerd store does; without it such a name is not recorded (nor reported), and
	// the image is recorded without a name unless the archive names it otherwise.
	VerbatimNames bool
}

// LoadRecord is one image record a load decided on (spec §7.3).
type LoadRecord struct {
	// Name is the record's name as the archive gives it, verbatim (its
	// io.containerd.image.name annotation, else its org.opencontainers.image.ref.name), or
	// "" for the image's dangling record.
	Name string
	// Named is Name parsed with reference.ParseNormalizedNamed; nil when Name is "" or
	// (with [LoadOptions.VerbatimNames]) does not parse.
	Named reference.Named
	// Target is the archive's index.json descriptor, annotations included.
	Target ocispec.Descriptor
}

// Message returns the [imagesvc.LoadedImage] the load reports for r.
func (r LoadRecord) Message() imagesvc.LoadedImage {
	switch {
	case r.Name == "":
		return imagesvc.LoadedImage{ID: r.Target.Digest}
	case r.Named != nil:
		return imagesvc.LoadedImage{Name: reference.FamiliarString(reference.TagNameOnly(r.Named)), ID: r.Target.Digest}
	}
	return imagesvc.LoadedImage{Name: r.Name, ID: r.Target.Digest}
}

// familiar is the name Docker's platform errors give the record (imageFamiliarName).
func (r LoadRecord) familiar() string {
	switch {
	case r.Name == "":
		return r.Target.Digest.String()
	case r.Named != nil:
		return reference.FamiliarString(r.Named)
	}
	return r.Name
}

// Recorder writes the records of a load, in order, with Docker's rules: a name that
// exists moves to its new target, the image it pointed at kept as a dangling image when
// that was its last name, and the target's dangling record (if any) is removed. A
// record with no Name is the image itself: a store with dangling records writes one
// only when, once the named records are written, the target has no other name (so
// that every reported record exists after the load). [Load] never passes a nameless
// record for a target that another record of the archive names. Every blob of the
// records is in the store the load wrote to.
type Recorder func(ctx context.Context, recs []LoadRecord) error

// Load reads req.Source into cs with containerd's archive importer (Docker archives and
// OCI layouts, compressed or not), decides the records of spec §7.3, has record write
// them, and returns what Docker's load stream reports, in the archive's order. cs should
// be a view of the backend's store that keeps what the load writes until the load ends,
// and lets the backend drop it all when it fails (a lease).
//
// Blobs stored under blobs/<algorithm>/<hex> are verified against the digest their path
// names; member paths that are absolute or climb out with "..", and symbolic links that
// point outside the archive, fail the load. A manifest that names a blob the archive and
// the store lack fails the load, except the manifests of an index (a partial
// multi-platform image, which Docker's save writes when some platforms are absent).
//
// Errors are those of [imagesvc.Loader.Load]. The platform errors found once the
// records are written are returned together with the results.
func Load(ctx context.Context, cs content.Store, req imagesvc.LoadRequest, opts LoadOptions, record Recorder) ([]imagesvc.LoadedImage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limit := importer.MaxSize(opts.MaxSize)
	src := importer.NewBoundedReader(ctx, req.Source, limit, nil)
	dr, err := importer.Decompress(ctx, src)
	if err != nil {
		return nil, loadError(ctx, src, nil, nil, nil, fmt.Errorf("failed to decompress input tar archive: %w", err))
	}
	defer dr.Close()
	plain := importer.NewBoundedReader(ctx, dr, limit, nil)

	pr, pw := io.Pipe()
	v := &validator{done: make(chan struct{})}
	go v.run(pr)
	store := &checkedStore{Store: cs, id: randomHex(), hold: opts.Hold}
	index, err := archive.ImportIndex(ctx, store, io.TeeReader(plain, pw))
	pw.Close()
	<-v.done
	// The validator runs a step behind the importer: when the archive ends right after an
	// unsafe member (no trailer), the importer has finished without error.
	if err != nil || v.err != nil || v.unsafe != nil || store.err() != nil {
		if err == nil {
			err = v.err
		}
		if err == nil {
			err = v.unsafe
		}
		return nil, loadError(ctx, src, plain, v, store, err)
	}

	recs, err := walkIndex(ctx, cs, index, req.Platforms, opts)
	if err != nil {
		return nil, err
	}
	if err := record(ctx, recs); err != nil {
		return nil, err
	}
	out := make([]imagesvc.LoadedImage, len(recs))
	for i, r := range recs {
		out[i] = r.Message()
	}
	if len(req.Platforms) > 0 {
		return out, verifyPlatforms(ctx, cs, recs, req.Platforms)
	}
	return out, nil
}

// walkIndex reads the imported index, decides the records, and checks (and labels, with
// opts.GCLabels) the content under them, keeping only the requested platforms.
func walkIndex(ctx context.Context, cs content.Store, index ocispec.Descriptor, want []ocispec.Platform, opts LoadOptions) ([]LoadRecord, error) {
	pm := MatchAny(opts.Host, want)
	skipMissing := len(want) == 0
	var (
		recs []LoadRecord
		top  = map[digest.Digest]bool{}
	)
	bounded := model.BoundedProvider(cs)
	var handler images.HandlerFunc = func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		if opts.Hold != nil {
			if err := opts.Hold(ctx, desc.Digest); err != nil {
				return nil, err
			}
		}
		if desc.Digest == index.Digest {
			data, err := model.ReadMetadata(ctx, cs, desc)
			if err != nil {
				if errdefs.IsInvalidArgument(err) {
					return nil, errdefs.ErrInvalidArgument.WithMessage("invalid index.json: " + err.Error())
				}
				return nil, err
			}
			idx, err := model.ParseIndex(data, desc)
			if err != nil {
				return nil, errdefs.ErrInvalidArgument.WithMessage("invalid index.json: " + err.Error())
			}
			for _, m := range idx.Manifests {
				top[m.Digest] = true
			}
			if err := labelReferrers(ctx, cs, idx.Manifests); err != nil {
				return nil, err
			}
			return idx.Manifests, nil
		}
		// Children reads manifests and indexes whole: bounded by their real size.
		children, err := images.Children(ctx, bounded, desc)
		if err != nil {
			if !errdefs.IsNotFound(err) {
				return nil, err
			}
			if top[desc.Digest] {
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("index.json names %s, which the archive lacks", desc.Digest))
			}
			if skipMissing {
				return nil, images.ErrSkipDesc
			}
			return nil, err
		}
		if images.IsIndexType(desc.MediaType) {
			if err := labelReferrers(ctx, cs, children); err != nil {
				return nil, err
			}
		}
		if images.IsManifestType(desc.MediaType) {
			for _, c := range children {
				ok, err := content.Exists(ctx, cs, c)
				if err != nil {
					return nil, err
				}
				if !ok {
					if skipMissing {
						return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("manifest %s names %s, which the archive lacks", desc.Digest, c.Digest))
					}
					return nil, fmt.Errorf("manifest %s names %s: %w", desc.Digest, c.Digest, errdefs.ErrNotFound)
				}
			}
		}
		return children, nil
	}
	h := images.FilterPlatforms(handler, pm)
	if opts.GCLabels {
		h = images.SetChildrenLabels(cs, h)
	}
	// The records come from the top level, after the platform filter.
	var collect images.HandlerFunc = func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		children, err := h(ctx, desc)
		if err != nil || desc.Digest != index.Digest {
			return children, err
		}
		for _, m := range children {
			if _, ok := m.Annotations[images.AnnotationManifestSubject]; ok {
				continue // referrers are not images
			}
			name := m.Annotations[images.AnnotationImageName]
			if name == "" {
				name = m.Annotations[ocispec.AnnotationRefName]
			}
			var named reference.Named
			if name != "" {
				if n, err := reference.ParseNormalizedNamed(name); err == nil {
					named = n
				}
				if named != nil || opts.VerbatimNames {
					recs = append(recs, LoadRecord{Name: name, Named: named, Target: m})
					continue
				}
			}
			recs = append(recs, LoadRecord{Target: m})
		}
		recs = withoutNamedTwins(recs)
		return children, nil
	}
	if err := images.WalkNotEmpty(ctx, collect, index); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if len(want) > 0 {
			switch {
			case errors.Is(err, images.ErrEmptyWalk):
				return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("requested platform(s) (%s) not found: %v", formatAll(want), err))
			case errdefs.IsNotFound(err):
				return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("requested platform(s) (%s) found, but some content is missing: %v", formatAll(want), err))
			}
		}
		if errors.Is(err, images.ErrEmptyWalk) {
			return nil, errdefs.ErrInvalidArgument.WithMessage("the archive holds no image")
		}
		if errdefs.IsInvalidArgument(err) {
			return nil, err
		}
		return nil, importer.StoreError("reading the loaded content", err)
	}
	return recs, nil
}

// labelReferrers records, on the subject of each present referrer among the entries of an
// index (an attestation manifest, vnd.docker.reference.digest; a referrer a save appended,
// io.containerd.manifest.subject), the label by which the subject refers to it
// ([model.ReferrerLabel]), as Docker's load does (WithImportReferrers): containerd's
// collector then keeps the referrer with its subject, and a later save of the subject's
// platform exports it.
func labelReferrers(ctx context.Context, cs content.Store, entries []ocispec.Descriptor) error {
	for _, e := range entries {
		subject := e.Annotations[images.AnnotationManifestSubject]
		if subject == "" && e.Annotations[model.AnnotationReferenceType] == model.AttestationManifestType {
			subject = e.Annotations[model.AnnotationReferenceDigest]
		}
		s, err := digest.Parse(subject)
		if subject == "" || err != nil || e.Digest.Validate() != nil {
			continue
		}
		if _, err := cs.Info(ctx, e.Digest); err != nil {
			continue // not in the archive
		}
		key := model.ReferrerLabel(e.Digest)
		if _, err := cs.Update(ctx, content.Info{Digest: s, Labels: map[string]string{key: e.Digest.String()}}, "labels."+key); err != nil {
			if errdefs.IsNotFound(err) {
				continue // the subject is not in the archive
			}
			return fmt.Errorf("recording the referrer %s of %s: %w", e.Digest, s, err)
		}
	}
	return nil
}

// withoutNamedTwins drops the nameless records whose target another record names, and
// repeated nameless records: one record (and one reported line) per record the load
// leaves.
func withoutNamedTwins(recs []LoadRecord) []LoadRecord {
	named := map[digest.Digest]bool{}
	for _, r := range recs {
		if r.Name != "" {
			named[r.Target.Digest] = true
		}
	}
	out := recs[:0]
	for _, r := range recs {
		if r.Name == "" {
			if named[r.Target.Digest] {
				continue
			}
			named[r.Target.Digest] = true
		}
		out = append(out, r)
	}
	return out
}

// verifyPlatforms checks that each loaded record provides one of the requested
// platforms with all its content (Docker's verifyImagesProvidePlatform).
func verifyPlatforms(ctx context.Context, cs content.Store, recs []LoadRecord, want []ocispec.Platform) error {
	if len(recs) == 0 {
		return errdefs.ErrNotFound.WithMessage("no images providing the requested platform(s) found: " + formatAll(want))
	}
	pm := MatchAny(ocispec.Platform{}, want)
	var incomplete []string
	for _, r := range recs {
		ms, err := model.ReadManifests(ctx, cs, r.Target, model.ReadOptions{})
		if err != nil {
			return fmt.Errorf("reading the manifests of %s: %w", r.familiar(), err)
		}
		ok := false
		for _, m := range ms {
			if m.Available && m.Kind == imagesvc.KindImage && pm.Match(m.Platform) {
				ok = true
				break
			}
		}
		if !ok {
			incomplete = append(incomplete, r.familiar())
		}
	}
	switch len(incomplete) {
	case 0:
		return nil
	case 1:
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("image %s was loaded, but doesn't provide the requested platform (%s)", incomplete[0], formatAll(want)))
	}
	return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("images [%s] were loaded, but don't provide the requested platform (%s)", strings.Join(incomplete, ", "), formatAll(want)))
}

// loadError classifies a failure to import the archive: the context, the size bound,
// the source, the store (a full disk is the server's failure), an unsafe member or a
// digest mismatch, else the archive's fault with the importer's text unchanged.
func loadError(ctx context.Context, src, plain *importer.BoundedReader, v *validator, store *checkedStore, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for i, b := range []*importer.BoundedReader{src, plain} {
		if b != nil && b.Exceeded() {
			what := "archive"
			if i == 1 {
				what = "decompressed archive"
			}
			return errdefs.ErrResourceExhausted.WithMessage(fmt.Sprintf(
				"%s exceeds the load size limit of %d bytes; the host raises the limit with the backend option MaxImportSize", what, b.Limit()))
		}
	}
	if rerr := src.Err(); rerr != nil {
		return fmt.Errorf("load: reading the archive: %w", rerr)
	}
	if store != nil {
		if serr := store.err(); serr != nil {
			return importer.StoreError("storing the archive", serr)
		}
		if merr := store.invalidErr(); merr != nil {
			return merr
		}
	}
	if v != nil && v.unsafe != nil {
		return v.unsafe
	}
	if errdefs.IsNotImplemented(err) {
		return err
	}
	return errdefs.ErrInvalidArgument.WithMessage(err.Error())
}

// validator reads the same tar stream as the importer, a step behind, and stops it at
// the first member whose path or link target leaves the archive.
type validator struct {
	done   chan struct{}
	unsafe error // the unsafe member found
	err    error // the tar reader's error
}

func (v *validator) run(pr *io.PipeReader) {
	defer close(v.done)
	tr := tar.NewReader(pr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			v.err = err
			pr.CloseWithError(err)
			return
		}
		if msg := unsafeMember(hdr); msg != "" {
			v.unsafe = errdefs.ErrInvalidArgument.WithMessage(msg)
			pr.CloseWithError(v.unsafe)
			return
		}
	}
	// Drain what follows the end of the archive, so that the importer never blocks.
	_, _ = io.Copy(io.Discard, pr)
}

// unsafeMember returns why hdr is unsafe, or "".
func unsafeMember(hdr *tar.Header) string {
	if escapes(hdr.Name) {
		return fmt.Sprintf("unsafe path in archive: %q", hdr.Name)
	}
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		if path.IsAbs(hdr.Linkname) || escapes(path.Join(path.Dir(hdr.Name), hdr.Linkname)) {
			return fmt.Sprintf("unsafe symbolic link in archive: %q -> %q", hdr.Name, hdr.Linkname)
		}
	case tar.TypeLink:
		if escapes(hdr.Linkname) {
			return fmt.Sprintf("unsafe hard link in archive: %q -> %q", hdr.Name, hdr.Linkname)
		}
	}
	return ""
}

// escapes reports whether the member path p is absolute or leaves the archive's root.
func escapes(p string) bool {
	if path.IsAbs(p) || strings.HasPrefix(p, `\`) {
		return true
	}
	c := path.Clean(p)
	return c == ".." || strings.HasPrefix(c, "../")
}

// checkedStore is the store the importer writes to: ingest refs are made unique to this
// load (two loads of members with the same path do not contend), blobs stored under
// blobs/<algorithm>/<hex> must have that digest, and the store's own failures are kept
// apart from the archive's.
type checkedStore struct {
	content.Store
	id       string
	hold     func(context.Context, digest.Digest) error
	mu       sync.Mutex
	storeErr error
	invalid  error // the archive's fault found by the store (digest mismatch, oversized metadata)
}

func (s *checkedStore) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.storeErr
}

func (s *checkedStore) invalidErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.invalid
}

func (s *checkedStore) setInvalid(err error) {
	s.mu.Lock()
	if s.invalid == nil {
		s.invalid = err
	}
	s.mu.Unlock()
}

// ReaderAt opens a blob, failing when it is a manifest, an index or an image config
// larger than the bound of what is read whole into memory (the importer reads a Docker
// archive's configs for their platform).
func (s *checkedStore) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	ra, err := model.BoundedProvider(s.Store).ReaderAt(ctx, desc)
	if errdefs.IsInvalidArgument(err) {
		s.setInvalid(err)
	}
	return ra, err
}

func (s *checkedStore) fail(err error) error {
	if err != nil && !errdefs.IsAlreadyExists(err) {
		s.mu.Lock()
		if s.storeErr == nil {
			s.storeErr = err
		}
		s.mu.Unlock()
	}
	return err
}

// Writer opens a writer under this load's ingest ref.
func (s *checkedStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	var wo content.WriterOpts
	for _, o := range opts {
		if err := o(&wo); err != nil {
			return nil, err
		}
	}
	ref := s.id + "-" + wo.Ref
	name, fromTar := strings.CutPrefix(wo.Ref, "tar-")
	want := wo.Desc.Digest
	if fromTar {
		want = blobDigest(name)
	}
	if want != "" && s.hold != nil {
		if err := s.hold(ctx, want); err != nil {
			return nil, s.fail(err)
		}
	}
	w, err := s.Store.Writer(ctx, content.WithRef(ref), content.WithDescriptor(wo.Desc))
	if err != nil {
		return nil, s.fail(err)
	}
	cw := &checkedWriter{Writer: w, s: s}
	if fromTar {
		cw.member, cw.want = name, want
	}
	return cw, nil
}

// blobDigest returns the digest a member path blobs/<algorithm>/<hex> names, or "".
func blobDigest(name string) digest.Digest {
	parts := strings.Split(name, "/")
	if len(parts) != 3 || parts[0] != ocispec.ImageBlobsDir {
		return ""
	}
	d := digest.NewDigestFromEncoded(digest.Algorithm(parts[1]), parts[2])
	if d.Validate() != nil {
		return ""
	}
	return d
}

type checkedWriter struct {
	content.Writer
	s      *checkedStore
	member string
	want   digest.Digest
}

func (w *checkedWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	return n, w.s.fail(err)
}

// Commit checks the digest the member's path names, then commits.
func (w *checkedWriter) Commit(ctx context.Context, size int64, expected digest.Digest, opts ...content.Opt) error {
	if w.want != "" && expected == "" {
		if got := w.Writer.Digest(); got != w.want {
			err := errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("digest mismatch: archive member %q has digest %s", w.member, got))
			w.s.setInvalid(err)
			return err
		}
		expected = w.want
	}
	d := w.Writer.Digest()
	err := w.Writer.Commit(ctx, size, expected, opts...)
	if (err == nil || errdefs.IsAlreadyExists(err)) && w.s.hold != nil {
		if herr := w.s.hold(ctx, d); herr != nil {
			return w.s.fail(herr)
		}
	}
	return w.s.fail(err)
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "load-" + hex.EncodeToString(b[:])
}

// LoadEvents returns the events of a load that recorded recs (spec §9.4): one load event
// per record created or updated, also when nothing changed, with the ID and "name" the
// target digest and the image's labels.
func LoadEvents(ctx context.Context, recs []LoadRecord, labels eventlog.Labels) []imagesvc.Event {
	out := make([]imagesvc.Event, 0, len(recs))
	for _, r := range recs {
		out = append(out, eventlog.Load(r.Target.Digest, labels.Of(ctx, r.Target.Digest)))
	}
	return out
}
