package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/imageapi/imageapi/internal/ctrdlog"
	"github.com/opencontainers/go-digest"
)

// labelStore keeps the labels of the content store's blobs in the catalog (table
// content_labels). It implements containerd's local.LabelStore. Writes go through the
// writer connection, reads through the read pool.
type labelStore struct {
	db  *sql.DB // writer
	rdb *sql.DB // readers
}

var _ local.LabelStore = (*labelStore)(nil)

// Get returns the labels of d, or nil when it has none.
func (ls *labelStore) Get(d digest.Digest) (map[string]string, error) {
	return getLabels(context.Background(), ls.rdb, d)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func getLabels(ctx context.Context, q querier, d digest.Digest) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT key, value FROM content_labels WHERE digest = ?", d.String())
	if err != nil {
		return nil, fmt.Errorf("reading the labels of %s: %w", d, err)
	}
	defer rows.Close()
	var labels map[string]string
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("reading the labels of %s: %w", d, err)
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the labels of %s: %w", d, err)
	}
	return labels, nil
}

// Set replaces all the labels of d.
func (ls *labelStore) Set(d digest.Digest, labels map[string]string) error {
	ctx := context.Background()
	return inTx(ctx, ls.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM content_labels WHERE digest = ?", d.String()); err != nil {
			return err
		}
		for k, v := range labels {
			if _, err := tx.ExecContext(ctx, "INSERT INTO content_labels (digest, key, value) VALUES (?, ?, ?)", d.String(), k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Update sets the given labels of d, removing those whose value is empty, and returns all
// the labels of d afterwards.
func (ls *labelStore) Update(d digest.Digest, update map[string]string) (map[string]string, error) {
	ctx := context.Background()
	var labels map[string]string
	err := inTx(ctx, ls.db, func(tx *sql.Tx) error {
		for k, v := range update {
			var err error
			if v == "" {
				_, err = tx.ExecContext(ctx, "DELETE FROM content_labels WHERE digest = ? AND key = ?", d.String(), k)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO content_labels (digest, key, value) VALUES (?, ?, ?)
					ON CONFLICT (digest, key) DO UPDATE SET value = excluded.value`, d.String(), k, v)
			}
			if err != nil {
				return err
			}
		}
		var err error
		labels, err = getLabels(ctx, tx, d)
		return err
	})
	if err != nil {
		return nil, err
	}
	if labels == nil {
		labels = map[string]string{}
	}
	return labels, nil
}

// inTx runs fn in a transaction of db, committing when fn succeeds.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return nil
}

// labeledStore is containerd's local content store with its labels in the catalog. It
// removes a blob's labels when the blob is deleted.
type labeledStore struct {
	content.Store
	labels *labelStore
}

func newLabeledStore(root string, ls *labelStore, log *slog.Logger) (*labeledStore, error) {
	// content/local reports on fsverity support through containerd's process-wide logger.
	stop := ctrdlog.RoutePath(root, log)
	defer stop()
	cs, err := local.NewLabeledStore(root, ls)
	if err != nil {
		return nil, err
	}
	return &labeledStore{Store: cs, labels: ls}, nil
}

// Delete removes the blob d and its labels.
func (s *labeledStore) Delete(ctx context.Context, d digest.Digest) error {
	if err := s.Store.Delete(ctx, d); err != nil {
		return err
	}
	if _, err := s.labels.db.ExecContext(ctx, "DELETE FROM content_labels WHERE digest = ?", d.String()); err != nil {
		return fmt.Errorf("removing the labels of %s: %w", d, err)
	}
	return nil
}
