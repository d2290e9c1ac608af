package importer

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// errTooLarge marks a read past the size bound.
var errTooLarge = errors.New("archive too large")

// BoundedReader reads a client's stream for the server: it stops with the context's
// error once ctx ends (whether or not the source keeps sending), fails past a size
// bound, counts bytes, and remembers the source's own read error apart from the
// others, so that the caller can classify a failure. Decompressors may read it from
// another goroutine.
type BoundedReader struct {
	ctx      context.Context
	r        io.Reader
	limit    int64
	progress func(total int64)
	n        atomic.Int64
	exceeded atomic.Bool
	mu       sync.Mutex
	err      error
}

// NewBoundedReader returns a reader of at most limit bytes of r, until ctx ends.
// progress, when not nil, is called with the bytes read so far after each read that
// returned some.
func NewBoundedReader(ctx context.Context, r io.Reader, limit int64, progress func(total int64)) *BoundedReader {
	return &BoundedReader{ctx: ctx, r: r, limit: limit, progress: progress}
}

// Read reads from the source. It returns the context's error once ctx ends, and an
// error (see [BoundedReader.Exceeded]) once more than the limit was read.
func (b *BoundedReader) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := b.r.Read(p)
	total := b.n.Add(int64(n))
	if total > b.limit {
		b.exceeded.Store(true)
		return 0, errTooLarge
	}
	if err != nil && err != io.EOF {
		b.mu.Lock()
		if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
	if n > 0 && b.progress != nil {
		b.progress(total)
	}
	return n, err
}

// Limit returns the size bound.
func (b *BoundedReader) Limit() int64 { return b.limit }

// Exceeded reports whether a read passed the size bound.
func (b *BoundedReader) Exceeded() bool { return b.exceeded.Load() }

// Err returns the source's own read error (not io.EOF), if it failed.
func (b *BoundedReader) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}
