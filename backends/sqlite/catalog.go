package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// entryToWrite is one image to record: its computed record and details, the names to
// point at it, and the repository it was pulled from ("" for imports).
type entryToWrite struct {
	rec    *record
	det    *details
	names  []reference.Named
	source string
}

// put records images in one transaction: each image row (created, or replaced in place
// with a new revision), its labels and blob references, and its names (created, or moved
// from the image they pointed at, which becomes dangling when it loses its last name).
// It returns, for each image and each of its names, whether the name is new or moved.
//
// Callers must have committed every blob of the images to the content store before.
// committed, when not nil, is called after a successful commit with the same result, and
// before any other write that publishes events commits: it publishes this write's events.
func (s *Store) put(ctx context.Context, items []entryToWrite, committed func(updated [][]bool)) ([][]bool, error) {
	now := s.now().UnixNano()
	updated := make([][]bool, len(items))
	s.order.Lock()
	defer s.order.Unlock()
	defer s.beginWrite()()
	err := inTx(ctx, s.wdb, func(tx *sql.Tx) error {
		rev, err := nextRev(ctx, tx)
		if err != nil {
			return err
		}
		touched := map[int64]bool{}
		for i, it := range items {
			rowid, err := putImage(ctx, tx, it.rec, it.det, it.source, now, rev)
			if err != nil {
				return err
			}
			touched[rowid] = true
			updated[i] = make([]bool, len(it.names))
			for j, n := range it.names {
				prev, moved, err := putName(ctx, tx, n, rowid, now, false)
				if err != nil {
					return err
				}
				updated[i][j] = moved
				if prev != 0 {
					touched[prev] = true
				}
			}
		}
		return touch(ctx, tx, touched, rev, now)
	})
	// Bumped after the commit: a list that starts from now on sees the write.
	s.gen.Add(1)
	if err != nil {
		return nil, err
	}
	if committed != nil {
		committed(updated)
	}
	return updated, nil
}

// beginWrite marks a write to the catalog in progress until the function it returns is
// called, after the write's generation bump: ListVersion gives no version meanwhile. Its
// generation alone would leave a window, between the commit and the bump, in which a list
// sees the write under the old version; another request asking whether that version
// still holds would be told yes, wrongly. With the mark, a version is given only when no
// write that could commit unseen by it has started (see ListVersion).
func (s *Store) beginWrite() func() {
	s.writing.Add(1)
	return func() { s.writing.Add(-1) }
}

// nextRev draws the revision of a write transaction from the catalog's counter
// (catalog_rev): a value no row has ever had. Every row the transaction changes takes it.
func nextRev(ctx context.Context, tx *sql.Tx) (int64, error) {
	var rev int64
	if err := tx.QueryRowContext(ctx, "UPDATE catalog_rev SET rev = rev + 1 WHERE id = 1 RETURNING rev").Scan(&rev); err != nil {
		return 0, fmt.Errorf("catalog: drawing a revision: %w", err)
	}
	return rev, nil
}

// touch gives the images rowids the revision rev and recomputes whether they are
// dangling, after their names changed; an image that loses its last name becomes dangling
// at now (Unix ns).
func touch(ctx context.Context, tx *sql.Tx, rowids map[int64]bool, rev, now int64) error {
	if len(rowids) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(rowids))
	for id := range rowids {
		ids = append(ids, id)
	}
	// The expressions of SET see the row as it was: dangling is the old value.
	if _, err := tx.ExecContext(ctx, `UPDATE images SET rev = ?,
		dangling_since = CASE
			WHEN EXISTS (SELECT 1 FROM names WHERE names.image = images.rowid) THEN NULL
			WHEN dangling = 0 THEN ?
			ELSE dangling_since END,
		dangling = NOT EXISTS (SELECT 1 FROM names WHERE names.image = images.rowid)
		WHERE rowid IN (SELECT value FROM json_each(?))`, rev, now, jsonInts(ids)); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return nil
}

// putImage writes the row of one image at revision rev, with its labels, blob references
// and layer chains, and returns its rowid. A source is added to those the image already
// had.
func putImage(ctx context.Context, tx *sql.Tx, rec *record, det *details, source string, now, rev int64) (int64, error) {
	var (
		rowid int64
		old   []byte
	)
	err := tx.QueryRowContext(ctx, `SELECT i.rowid, d.summary FROM images i JOIN image_data d ON d.image = i.rowid
		WHERE i.id = ?`, rec.Target.Digest.String()).Scan(&rowid, &old)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("catalog: %w", err)
	}
	if exists {
		var prev struct {
			Sources []string `json:"sources"`
		}
		if err := json.Unmarshal(old, &prev); err == nil {
			rec.Sources = prev.Sources
		}
	}
	if source != "" && !slices.Contains(rec.Sources, source) {
		rec.Sources = append(rec.Sources, source)
	}
	summary, err := json.Marshal(rec)
	if err != nil {
		return 0, err
	}
	detail, err := json.Marshal(det)
	if err != nil {
		return 0, err
	}
	share, err := json.Marshal(rec.Sharing)
	if err != nil {
		return 0, err
	}
	var created any
	if rec.Created != nil {
		created = unixNano(*rec.Created)
	}
	if exists {
		_, err = tx.ExecContext(ctx, "UPDATE images SET rev = ?, created = ?, parent = ? WHERE rowid = ?",
			rev, created, rec.Parent.String(), rowid)
	} else {
		err = tx.QueryRowContext(ctx, `INSERT INTO images (id, rev, created, record_created, dangling, parent)
			VALUES (?, ?, ?, ?, 1, ?) RETURNING rowid`,
			rec.Target.Digest.String(), rev, created, now, rec.Parent.String()).Scan(&rowid)
	}
	if err != nil {
		return 0, fmt.Errorf("catalog: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO image_data (image, summary, details, sharing) VALUES (?, ?, ?, ?)
		ON CONFLICT (image) DO UPDATE SET summary = excluded.summary, details = excluded.details, sharing = excluded.sharing`,
		rowid, summary, detail, share); err != nil {
		return 0, fmt.Errorf("catalog: %w", err)
	}

	if _, err := tx.ExecContext(ctx, "DELETE FROM image_labels WHERE image = ?", rowid); err != nil {
		return 0, fmt.Errorf("catalog: %w", err)
	}
	for _, m := range rec.Manifests {
		for k, v := range m.Labels {
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO image_labels (key, value, image) VALUES (?, ?, ?)", k, v, rowid); err != nil {
				return 0, fmt.Errorf("catalog: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM image_blobs WHERE image = ?", rowid); err != nil {
		return 0, fmt.Errorf("catalog: %w", err)
	}
	for _, b := range rec.Sharing.Blobs {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO image_blobs (digest, image) VALUES (?, ?)", b.Digest.String(), rowid); err != nil {
			return 0, fmt.Errorf("catalog: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM image_chains WHERE image = ?", rowid); err != nil {
		return 0, fmt.Errorf("catalog: %w", err)
	}
	for _, c := range rec.Sharing.Chains {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO image_chains (chain, image, size) VALUES (?, ?, ?)", c.Digest.String(), rowid, c.Size); err != nil {
			return 0, fmt.Errorf("catalog: %w", err)
		}
	}
	return rowid, nil
}

// putName points the name n at the image rowid. With renew, a name that moves is created
// anew (created_at = now), as Docker's tag replaces the record and prune's until compares
// its creation; otherwise it keeps its creation time. It returns the image the name
// pointed at before when it moved (0 otherwise), and whether it is new or moved.
func putName(ctx context.Context, tx *sql.Tx, n reference.Named, rowid, now int64, renew bool) (prev int64, moved bool, err error) {
	name := n.String()
	err = tx.QueryRowContext(ctx, "SELECT image FROM names WHERE name = ?", name).Scan(&prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO names (name, familiar, repo, image, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, name, reference.FamiliarString(n), n.Name(), rowid, now, now)
		if err != nil {
			return 0, false, fmt.Errorf("catalog: %w", err)
		}
		return 0, true, nil
	case err != nil:
		return 0, false, fmt.Errorf("catalog: %w", err)
	case prev == rowid:
		return 0, false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE names SET image = ?, updated_at = ?,
		created_at = CASE WHEN ? THEN ? ELSE created_at END WHERE name = ?`, rowid, now, renew, now, name); err != nil {
		return 0, false, fmt.Errorf("catalog: %w", err)
	}
	return prev, true, nil
}

// unixNano is t in Unix nanoseconds, saturated to the range of int64.
func unixNano(t time.Time) int64 {
	const maxSec = math.MaxInt64/int64(time.Second) - 1
	sec := t.Unix()
	switch {
	case sec > maxSec:
		return math.MaxInt64
	case sec < -maxSec:
		return math.MinInt64
	}
	return sec*1e9 + int64(t.Nanosecond())
}

// removed is what deleteImages took out of the catalog with the images it deleted.
type removed struct {
	// blobs are the blobs the images referenced, each once.
	blobs []digest.Digest
	// chains are the layer chains of the images, with their sizes (a chain of several
	// images repeats).
	chains []sized
	// summaries are the records (image_data.summary) of the images, by rowid, when asked
	// for.
	summaries map[int64][]byte
}

// deleteImages deletes the images rowids and everything the catalog holds about them:
// names, labels, blob references, layer chains, data and rows. The caller bumps nothing:
// the rows are gone, and their (rowid, rev) pairs are never given again.
func deleteImages(ctx context.Context, tx *sql.Tx, rowids []int64, summaries bool) (removed, error) {
	var out removed
	if len(rowids) == 0 {
		return out, nil
	}
	param := jsonInts(rowids)
	const in = " IN (SELECT value FROM json_each(?))"
	for _, q := range []string{"DELETE FROM names WHERE image" + in, "DELETE FROM image_labels WHERE image" + in} {
		if _, err := tx.ExecContext(ctx, q, param); err != nil {
			return out, fmt.Errorf("catalog: %w", err)
		}
	}
	seen := map[digest.Digest]bool{}
	err := queryEach(ctx, tx, "DELETE FROM image_blobs WHERE image"+in+" RETURNING digest", []any{param}, func(rows *sql.Rows) error {
		var d string
		if err := rows.Scan(&d); err != nil {
			return err
		}
		if !seen[digest.Digest(d)] {
			seen[digest.Digest(d)] = true
			out.blobs = append(out.blobs, digest.Digest(d))
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	err = queryEach(ctx, tx, "DELETE FROM image_chains WHERE image"+in+" RETURNING chain, size", []any{param}, func(rows *sql.Rows) error {
		var c sized
		if err := rows.Scan(&c.Digest, &c.Size); err != nil {
			return err
		}
		out.chains = append(out.chains, c)
		return nil
	})
	if err != nil {
		return out, err
	}
	if summaries {
		out.summaries = make(map[int64][]byte, len(rowids))
		err = queryEach(ctx, tx, "DELETE FROM image_data WHERE image"+in+" RETURNING image, summary", []any{param}, func(rows *sql.Rows) error {
			var (
				rowid int64
				sum   []byte
			)
			if err := rows.Scan(&rowid, &sum); err != nil {
				return err
			}
			out.summaries[rowid] = sum
			return nil
		})
		if err != nil {
			return out, err
		}
	} else if _, err := tx.ExecContext(ctx, "DELETE FROM image_data WHERE image"+in, param); err != nil {
		return out, fmt.Errorf("catalog: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM images WHERE rowid"+in, param); err != nil {
		return out, fmt.Errorf("catalog: %w", err)
	}
	return out, nil
}

// queryEach runs query and calls fn for each row.
func queryEach(ctx context.Context, q querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return nil
}
