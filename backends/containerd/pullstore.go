package containerd

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	contentapi "github.com/containerd/containerd/api/services/content/v1"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/pkg/archive/compression"
	"github.com/containerd/containerd/v2/pkg/rootfs"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/internal/pull"
)

// pullStore is containerd's content store as the pull engine sees it, made cheaper for a
// store at the other end of a socket. The engine records, on each layer, its diff ID and
// unpacked size (labels it reads back after the download, or computes by reading the
// layer back through the socket when they are missing); here they come for free:
//
//   - once a manifest and its config have been written, its layers are unpacked into the
//     snapshotter as they arrive, in order, while the others are still downloading
//     (containerd's own transfer service does the same). containerd's applier reports the
//     diff ID and size of what it unpacked, which become the layer's labels; the engine's
//     look at a layer it has just written waits for them. The unpack that follows the
//     fetch finds the layers done, and "Pull complete" comes after the extraction, as in
//     Docker;
//   - a layer that no such unpack covers is decompressed and digested on its way in,
//     concurrently with the download, and labelled when it is committed;
//   - reads are sequential streams (one Read call for a whole blob) instead of one call
//     per ReadAt.
//
// The early unpack is an optimization only: it gives up quietly on any error (releasing
// whoever waits for its labels), and the unpack after the fetch does (or redoes) whatever
// it left.
type pullStore struct {
	content.Store
	s   *Store
	ctx context.Context          // the pull's: namespace and lease
	raw contentapi.ContentClient // nil without a gRPC connection

	mu        sync.Mutex
	meta      map[digest.Digest][]byte          // manifests and configs written
	configs   map[digest.Digest]waitingManifest // manifests waiting for their config, by config digest
	committed map[digest.Digest]chan struct{}   // layers: closed once committed
	written   map[digest.Digest]bool            // layers committed through this store
	labelled  map[digest.Digest]chan struct{}   // layers an early unpack labels: closed once labelled or given up
	unpacks   map[digest.Digest]chan struct{}   // by manifest: closed when its early unpack ends
	closed    chan struct{}
	wg        sync.WaitGroup
}

type waitingManifest struct {
	digest   digest.Digest
	manifest ocispec.Manifest
}

// maxMetaBuffer bounds the manifests and configs a pullStore keeps to start unpacks.
const maxMetaBuffer = 4 << 20

func (s *Store) newPullStore(ctx context.Context) *pullStore {
	p := &pullStore{
		Store:     s.client.ContentStore(),
		s:         s,
		ctx:       ctx,
		meta:      map[digest.Digest][]byte{},
		configs:   map[digest.Digest]waitingManifest{},
		committed: map[digest.Digest]chan struct{}{},
		written:   map[digest.Digest]bool{},
		labelled:  map[digest.Digest]chan struct{}{},
		unpacks:   map[digest.Digest]chan struct{}{},
		closed:    make(chan struct{}),
	}
	if conn, ok := s.client.Conn().(grpc.ClientConnInterface); ok && conn != nil {
		p.raw = contentapi.NewContentClient(conn)
	}
	return p
}

// close stops the early unpacks that still wait for layers and waits for them all.
func (p *pullStore) close() {
	p.mu.Lock()
	select {
	case <-p.closed:
	default:
		close(p.closed)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// waitUnpack waits for the early unpack of manifest m, if one was started.
func (p *pullStore) waitUnpack(ctx context.Context, m digest.Digest) {
	p.mu.Lock()
	ch := p.unpacks[m]
	p.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// layerCommitted records that layer d is in the store.
func (p *pullStore) layerCommitted(d digest.Digest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.written[d] = true
	ch := p.committed[d]
	if ch == nil {
		ch = make(chan struct{})
		p.committed[d] = ch
	}
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// metaCommitted records a manifest or config written, and starts the early unpack of a
// manifest once both are known.
func (p *pullStore) metaCommitted(desc ocispec.Descriptor, data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.meta[desc.Digest] = data
	var m ocispec.Manifest
	var cfgData []byte
	switch {
	case images.IsManifestType(desc.MediaType):
		if json.Unmarshal(data, &m) != nil || len(m.Layers) == 0 {
			return
		}
		if cfgData = p.meta[m.Config.Digest]; cfgData == nil {
			p.configs[m.Config.Digest] = waitingManifest{desc.Digest, m}
			return
		}
		p.startUnpack(desc.Digest, m, cfgData)
	case images.IsConfigType(desc.MediaType):
		w, ok := p.configs[desc.Digest]
		if !ok {
			return
		}
		delete(p.configs, desc.Digest)
		p.startUnpack(w.digest, w.manifest, data)
	}
}

// startUnpack starts the early unpack of manifest m. p.mu is held.
func (p *pullStore) startUnpack(md digest.Digest, m ocispec.Manifest, cfgData []byte) {
	var cfg ocispec.Image
	if json.Unmarshal(cfgData, &cfg) != nil || len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return
	}
	for _, l := range m.Layers {
		if !images.IsLayerType(l.MediaType) {
			return
		}
	}
	done := make(chan struct{})
	p.unpacks[md] = done
	mine := map[digest.Digest]chan struct{}{}
	for _, l := range m.Layers {
		if _, taken := p.labelled[l.Digest]; !taken {
			ch := make(chan struct{})
			p.labelled[l.Digest] = ch
			mine[l.Digest] = ch
		}
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(done)
		defer func() {
			// Release whoever waits for labels this unpack did not record.
			p.mu.Lock()
			for _, ch := range mine {
				select {
				case <-ch:
				default:
					close(ch)
				}
			}
			p.mu.Unlock()
		}()
		p.unpackEarly(m, cfg.RootFS.DiffIDs, mine)
	}()
}

// unpackEarly applies the layers of m in order, each once it is in the store, and labels
// the layers in mine with what the applier reports.
func (p *pullStore) unpackEarly(m ocispec.Manifest, diffIDs []digest.Digest, mine map[digest.Digest]chan struct{}) {
	sn := p.s.client.SnapshotService(p.s.snapshotter)
	applier := p.s.client.DiffService()
	cs := p.Store
	var chain []digest.Digest
	for i, l := range m.Layers {
		if !p.waitLayer(l.Digest) {
			return
		}
		layer := rootfs.Layer{Blob: l, Diff: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: diffIDs[i]}}
		applied, ok, err := applyLayer(p.ctx, sn, applier, layer, chain)
		if err != nil {
			p.s.log.Debug("early unpack stopped", "layer", l.Digest.String(), "error", err)
			return
		}
		chain = append(chain, diffIDs[i])
		ch := mine[l.Digest]
		if ch == nil {
			continue
		}
		if ok {
			upd := content.Info{Digest: l.Digest, Labels: map[string]string{
				pull.LabelUncompressed: applied.Digest.String(),
				pull.LabelUnpackedSize: strconv.FormatInt(applied.Size, 10),
			}}
			if _, err := cs.Update(p.ctx, upd, "labels."+pull.LabelUncompressed, "labels."+pull.LabelUnpackedSize); err != nil {
				p.s.log.Debug("not labelling an unpacked layer", "layer", l.Digest.String(), "error", err)
			}
		}
		p.mu.Lock()
		select {
		case <-ch:
		default:
			close(ch)
		}
		p.mu.Unlock()
	}
}

// applyLayer unpacks layer on top of chain, as containerd's rootfs.ApplyLayer does, and
// returns what the applier reports (the diff ID and the uncompressed size); ok is false
// when the snapshot existed already.
func applyLayer(ctx context.Context, sn snapshots.Snapshotter, a diff.Applier, layer rootfs.Layer, chain []digest.Digest) (ocispec.Descriptor, bool, error) {
	chainID := identity.ChainID(append(slices.Clip(chain), layer.Diff.Digest)).String()
	if _, err := sn.Stat(ctx, chainID); err == nil {
		return ocispec.Descriptor{}, false, nil
	} else if !errdefs.IsNotFound(err) {
		return ocispec.Descriptor{}, false, err
	}
	parent := ""
	if len(chain) > 0 {
		parent = identity.ChainID(chain).String()
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	key := fmt.Sprintf("extract-%x %s", rnd, chainID)
	mounts, err := sn.Prepare(ctx, key, parent)
	if err != nil {
		if errdefs.IsAlreadyExists(err) {
			return ocispec.Descriptor{}, false, nil
		}
		return ocispec.Descriptor{}, false, err
	}
	applied, err := a.Apply(ctx, layer.Blob, mounts)
	if err == nil && applied.Digest != layer.Diff.Digest {
		err = fmt.Errorf("layer %s unpacks to %s, not to the diff ID %s", layer.Blob.Digest, applied.Digest, layer.Diff.Digest)
	}
	if err != nil {
		_ = sn.Remove(context.WithoutCancel(ctx), key)
		return ocispec.Descriptor{}, false, err
	}
	if err := sn.Commit(ctx, chainID, key); err != nil {
		_ = sn.Remove(context.WithoutCancel(ctx), key)
		if errdefs.IsAlreadyExists(err) {
			return ocispec.Descriptor{}, false, nil
		}
		return ocispec.Descriptor{}, false, err
	}
	return applied, true, nil
}

// Info implements content.InfoProvider. For a layer written through this store that an
// early unpack labels, it waits for the labels, so that the engine finds them.
func (p *pullStore) Info(ctx context.Context, d digest.Digest) (content.Info, error) {
	p.mu.Lock()
	ch := p.labelled[d]
	wait := ch != nil && p.written[d]
	p.mu.Unlock()
	if wait {
		select {
		case <-ch:
		case <-ctx.Done():
			return content.Info{}, ctx.Err()
		}
	}
	return p.Store.Info(ctx, d)
}

// waitLayer waits until layer d is in the store; false when the pull ended first. The
// layer may also arrive without this store seeing it written (another pull writing the
// same blob makes this one skip it), so its presence is polled too.
func (p *pullStore) waitLayer(d digest.Digest) bool {
	p.mu.Lock()
	ch := p.committed[d]
	if ch == nil {
		ch = make(chan struct{})
		p.committed[d] = ch
	}
	p.mu.Unlock()
	poll := 20 * time.Millisecond
	for {
		select {
		case <-ch:
			return true
		default:
		}
		if _, err := p.Store.Info(p.ctx, d); err == nil {
			return true
		}
		timer := time.NewTimer(poll)
		select {
		case <-ch:
			timer.Stop()
			return true
		case <-timer.C:
			poll = min(2*poll, time.Second)
		case <-p.closed:
			timer.Stop()
			return false
		case <-p.ctx.Done():
			timer.Stop()
			return false
		}
	}
}

// Writer implements content.Ingester.
func (p *pullStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	var wo content.WriterOpts
	for _, o := range opts {
		if err := o(&wo); err != nil {
			return nil, err
		}
	}
	w, err := p.Store.Writer(ctx, opts...)
	if err != nil {
		return nil, err
	}
	desc := wo.Desc
	switch {
	case images.IsLayerType(desc.MediaType):
		p.mu.Lock()
		_, covered := p.labelled[desc.Digest]
		p.mu.Unlock()
		st, err := w.Status()
		if covered || err != nil || st.Offset != 0 {
			// Labelled by the early unpack, or a resumed ingest (the engine computes the
			// labels itself).
			return &commitWatch{Writer: w, onCommit: func() { p.layerCommitted(desc.Digest) }}, nil
		}
		lw := newLayerWriter(w)
		lw.onCommit = func() { p.layerCommitted(desc.Digest) }
		return lw, nil
	case (images.IsManifestType(desc.MediaType) || images.IsConfigType(desc.MediaType)) && desc.Size > 0 && desc.Size <= maxMetaBuffer:
		return &metaWriter{Writer: w, desc: desc, p: p}, nil
	}
	return w, nil
}

// commitWatch calls onCommit after a successful commit.
type commitWatch struct {
	content.Writer
	onCommit func()
}

func (w *commitWatch) Commit(ctx context.Context, size int64, expected digest.Digest, opts ...content.Opt) error {
	err := w.Writer.Commit(ctx, size, expected, opts...)
	if err == nil || errdefs.IsAlreadyExists(err) {
		w.onCommit()
	}
	return err
}

// metaWriter keeps a copy of a manifest or config and hands it to the pullStore once
// committed.
type metaWriter struct {
	content.Writer
	desc ocispec.Descriptor
	p    *pullStore
	buf  []byte
	bad  bool
}

func (w *metaWriter) Write(b []byte) (int, error) {
	n, err := w.Writer.Write(b)
	if !w.bad && int64(len(w.buf)+n) <= maxMetaBuffer {
		w.buf = append(w.buf, b[:n]...)
	} else {
		w.bad = true
	}
	return n, err
}

func (w *metaWriter) Truncate(size int64) error {
	w.bad = true
	return w.Writer.Truncate(size)
}

func (w *metaWriter) Commit(ctx context.Context, size int64, expected digest.Digest, opts ...content.Opt) error {
	err := w.Writer.Commit(ctx, size, expected, opts...)
	if err == nil && !w.bad && digest.FromBytes(w.buf) == w.desc.Digest {
		w.p.metaCommitted(w.desc, w.buf)
	}
	return err
}

// ReaderAt implements content.Provider with sequential streams.
func (p *pullStore) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	if p.raw == nil {
		return p.Store.ReaderAt(ctx, desc)
	}
	size := desc.Size
	if size <= 0 {
		info, err := p.Store.Info(ctx, desc.Digest)
		if err != nil {
			return nil, err
		}
		size = info.Size
	}
	return &streamReaderAt{ctx: ctx, raw: p.raw, digest: desc.Digest, size: size}, nil
}

// layerWriter tees a layer into a decompressor that computes its diff ID and unpacked
// size, and records them as labels on commit.
type layerWriter struct {
	content.Writer
	onCommit func()
	pw       *io.PipeWriter
	done     chan struct{}
	diffID   digest.Digest
	size     int64
	err      error
	broken   bool // the tee gave up (truncated ingest); commit without labels
}

func newLayerWriter(w content.Writer) *layerWriter {
	pr, pw := io.Pipe()
	lw := &layerWriter{Writer: w, pw: pw, done: make(chan struct{})}
	go func() {
		defer close(lw.done)
		ds, err := compression.DecompressStream(pr)
		if err != nil {
			lw.err = err
			pr.CloseWithError(err)
			return
		}
		dg := digest.Canonical.Digester()
		n, err := io.Copy(dg.Hash(), ds)
		ds.Close()
		if err == nil {
			// Drain what follows the compressed stream, so that writes never block.
			_, err = io.Copy(io.Discard, pr)
		}
		lw.diffID, lw.size, lw.err = dg.Digest(), n, err
		pr.CloseWithError(err)
	}()
	return lw
}

func (w *layerWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	if n > 0 && !w.broken {
		if _, perr := w.pw.Write(p[:n]); perr != nil {
			w.broken = true
		}
	}
	return n, err
}

func (w *layerWriter) Truncate(size int64) error {
	w.stopTee(true)
	return w.Writer.Truncate(size)
}

// stopTee ends the decompressor; broken marks its result unusable.
func (w *layerWriter) stopTee(broken bool) {
	if broken {
		w.broken = true
		w.pw.CloseWithError(errors.New("layer ingest truncated"))
	} else {
		w.pw.Close()
	}
	<-w.done
}

func (w *layerWriter) Commit(ctx context.Context, size int64, expected digest.Digest, opts ...content.Opt) error {
	w.stopTee(w.broken)
	if !w.broken && w.err == nil {
		labels := map[string]string{
			pull.LabelUncompressed: w.diffID.String(),
			pull.LabelUnpackedSize: strconv.FormatInt(w.size, 10),
		}
		opts = append(opts, func(info *content.Info) error {
			if info.Labels == nil {
				info.Labels = map[string]string{}
			}
			for k, v := range labels {
				info.Labels[k] = v
			}
			return nil
		})
	}
	err := w.Writer.Commit(ctx, size, expected, opts...)
	if (err == nil || errdefs.IsAlreadyExists(err)) && w.onCommit != nil {
		w.onCommit()
	}
	return err
}

func (w *layerWriter) Close() error {
	w.stopTee(true)
	return w.Writer.Close()
}

// streamReaderAt reads a blob with one Read stream as long as reads are sequential.
type streamReaderAt struct {
	ctx    context.Context
	raw    contentapi.ContentClient
	digest digest.Digest
	size   int64

	mu     sync.Mutex
	stream grpc.ServerStreamingClient[contentapi.ReadContentResponse]
	cancel context.CancelFunc
	off    int64 // offset of the next byte of the stream
	buf    []byte
}

func (r *streamReaderAt) Size() int64 { return r.size }

func (r *streamReaderAt) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if off >= r.size {
		return 0, io.EOF
	}
	if r.stream == nil || off != r.off {
		r.closeStream()
		ctx, cancel := context.WithCancel(r.ctx)
		stream, err := r.raw.Read(ctx, &contentapi.ReadContentRequest{Digest: r.digest.String(), Offset: off})
		if err != nil {
			cancel()
			return 0, errgrpc.ToNative(err)
		}
		r.stream, r.cancel, r.off, r.buf = stream, cancel, off, nil
	}
	n := 0
	for n < len(p) {
		if len(r.buf) == 0 {
			resp, err := r.stream.Recv()
			if err == io.EOF {
				r.closeStream()
				return n, io.EOF
			}
			if err != nil {
				r.closeStream()
				return n, fmt.Errorf("reading %s: %w", r.digest, errgrpc.ToNative(err))
			}
			r.buf = resp.Data
		}
		c := copy(p[n:], r.buf)
		r.buf = r.buf[c:]
		n += c
		r.off += int64(c)
	}
	return n, nil
}

func (r *streamReaderAt) closeStream() {
	if r.cancel != nil {
		r.cancel()
	}
	r.stream, r.cancel, r.buf = nil, nil, nil
}

func (r *streamReaderAt) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closeStream()
	return nil
}
