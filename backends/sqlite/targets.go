package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/model"
)

var _ model.TargetReader = (*txStore)(nil)

// readRecords calls fn with a model view of the catalog in one read-only transaction: a
// consistent snapshot that writers do not wait for.
func (s *Store) readRecords(ctx context.Context, fn func(st *txStore) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	st := newTxStore(s)
	st.tx = tx
	if err := fn(st); err != nil {
		return err
	}
	return st.err
}

// Target implements [model.TargetReader]: the descriptor the image's record holds.
func (st *txStore) Target(ctx context.Context, d digest.Digest) (ocispec.Descriptor, error) {
	var raw []byte
	err := st.tx.QueryRowContext(ctx, `SELECT d.summary FROM images i JOIN image_data d ON d.image = i.rowid
		WHERE i.id = ?`, d.String()).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return ocispec.Descriptor{}, fmt.Errorf("image %s: %w", d, errdefs.ErrNotFound)
	}
	if err != nil {
		return ocispec.Descriptor{}, st.fail(err)
	}
	var rec struct {
		Target ocispec.Descriptor `json:"target"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return ocispec.Descriptor{}, st.fail(fmt.Errorf("record of %s: %w", d, err))
	}
	return rec.Target, nil
}

// Tags implements [model.TargetReader].
func (st *txStore) Tags(ctx context.Context, repo reference.Named) ([]model.Record, error) {
	name := repo.Name()
	var out []model.Record
	err := queryEach(ctx, st.tx, `SELECT n.name, i.id, n.created_at FROM names n JOIN images i ON i.rowid = n.image
		WHERE n.repo = ? AND substr(n.name, ?, 1) = ':' ORDER BY n.name`, []any{name, len(name) + 1}, func(rows *sql.Rows) error {
		var (
			n, id   string
			created int64
		)
		if err := rows.Scan(&n, &id, &created); err != nil {
			return err
		}
		out = append(out, model.Record{Name: n, Target: digest.Digest(id), Created: time.Unix(0, created)})
		return nil
	})
	if err != nil {
		return nil, st.fail(err)
	}
	return out, nil
}
