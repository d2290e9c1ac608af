package containerd

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/model"
)

var _ model.TargetReader = (*recordStore)(nil)

// Target implements [model.TargetReader]: the target of the first record of d, in name
// order.
func (st *recordStore) Target(ctx context.Context, d digest.Digest) (ocispec.Descriptor, error) {
	recs, err := st.recordsOf(ctx, d)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if len(recs) == 0 {
		return ocispec.Descriptor{}, fmt.Errorf("image %s: %w", d, errdefs.ErrNotFound)
	}
	return recs[0].Target, nil
}

// Tags implements [model.TargetReader] with the regular expression filter Docker's
// export and push use (^name:[^@]+$, written so that a tag cannot contain '@').
func (st *recordStore) Tags(ctx context.Context, repo reference.Named) ([]model.Record, error) {
	re := "^" + regexp.QuoteMeta(repo.Name()) + ":[^@:/]+$"
	recs, err := st.list(ctx, "name~="+strconv.Quote(re))
	if err != nil {
		return nil, err
	}
	return toRecords(recs), nil
}
