package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/containerd/errdefs"
)

// migrations bring the catalog from schema version i to i+1 (PRAGMA user_version). They
// are only ever appended to: a released migration is never edited.
var migrations = []string{
	// 0 -> 1: the first schema.
	`
	-- One row per image. id is the digest of the target (index, manifest list or manifest).
	-- rev is bumped whenever the row or one of its names changes: the in-memory cache of
	-- decoded rows is keyed by (rowid, rev).
	CREATE TABLE images (
		rowid          INTEGER PRIMARY KEY,
		id             TEXT    NOT NULL UNIQUE,
		rev            INTEGER NOT NULL,
		created        INTEGER,           -- best config's created, Unix ns; NULL when absent
		record_created INTEGER NOT NULL,  -- when the row was first written, Unix ns
		dangling       INTEGER NOT NULL,  -- 1 when no name points at the image
		parent         TEXT    NOT NULL   -- label org.mobyproject.image.parent, or ''
	);
	-- The list's order, covering what the unfiltered list reads.
	CREATE INDEX images_created ON images(created, rev, dangling);
	CREATE INDEX images_record_created ON images(record_created);
	CREATE INDEX images_dangling ON images(dangling) WHERE dangling = 1;
	CREATE INDEX images_parent ON images(parent) WHERE parent <> '';

	-- The precomputed payload of each image, apart so that the rows of images stay small.
	CREATE TABLE image_data (
		image   INTEGER PRIMARY KEY REFERENCES images(rowid),
		summary BLOB    NOT NULL,         -- JSON record: everything List needs but the names
		details BLOB    NOT NULL,         -- JSON: the inspect payload of each platform
		sharing BLOB    NOT NULL          -- JSON: blobs and layer chains, for SharedSize
	);

	-- One row per name: a canonical reference in tag or digest form.
	CREATE TABLE names (
		name       TEXT    PRIMARY KEY,   -- docker.io/library/alpine:3.20
		familiar   TEXT    NOT NULL,      -- alpine:3.20
		repo       TEXT    NOT NULL,      -- docker.io/library/alpine
		image      INTEGER NOT NULL REFERENCES images(rowid),
		created_at INTEGER NOT NULL,      -- Unix ns
		updated_at INTEGER NOT NULL       -- Unix ns: the name was created or moved
	) WITHOUT ROWID;
	CREATE INDEX names_image ON names(image);
	CREATE INDEX names_familiar ON names(familiar);

	-- The labels of every config of an image (any platform), for label filters.
	CREATE TABLE image_labels (
		key   TEXT    NOT NULL,
		value TEXT    NOT NULL,
		image INTEGER NOT NULL REFERENCES images(rowid),
		PRIMARY KEY (key, value, image)
	) WITHOUT ROWID;
	CREATE INDEX image_labels_image ON image_labels(image);

	-- The blobs each image references, for garbage collection.
	CREATE TABLE image_blobs (
		digest TEXT    NOT NULL,
		image  INTEGER NOT NULL REFERENCES images(rowid),
		PRIMARY KEY (digest, image)
	) WITHOUT ROWID;
	CREATE INDEX image_blobs_image ON image_blobs(image);

	-- The labels of the content store's blobs (containerd's local.LabelStore).
	CREATE TABLE content_labels (
		digest TEXT NOT NULL,
		key    TEXT NOT NULL,
		value  TEXT NOT NULL,
		PRIMARY KEY (digest, key)
	) WITHOUT ROWID;
	`,

	// 1 -> 2: a catalog-wide revision, and the layer chains of each image.
	`
	-- The catalog's revision: every write transaction draws a new value and gives it to the
	-- image rows it changes (images.rev). A value is never given twice, even to a row that
	-- reuses the rowid of a deleted one, so (rowid, rev) names one state of one image for
	-- ever and the caches keyed by it cannot serve a deleted image for a new one. It starts
	-- above every revision of the rows written before.
	CREATE TABLE catalog_rev (
		id  INTEGER PRIMARY KEY CHECK (id = 1),
		rev INTEGER NOT NULL
	);
	INSERT INTO catalog_rev (id, rev) SELECT 1, coalesce(max(rev), 0) FROM images;

	-- The layer chains of the available manifests of each image, with the unpacked size of
	-- the chain's top layer (a copy of image_data.sharing's chains, indexed): what a prune
	-- reclaims besides blobs, and the sizes of history.
	CREATE TABLE image_chains (
		chain TEXT    NOT NULL,
		image INTEGER NOT NULL REFERENCES images(rowid),
		size  INTEGER NOT NULL,
		PRIMARY KEY (chain, image)
	) WITHOUT ROWID;
	CREATE INDEX image_chains_image ON image_chains(image);
	INSERT OR IGNORE INTO image_chains (chain, image, size)
		SELECT json_extract(c.value, '$.d'), d.image, coalesce(json_extract(c.value, '$.s'), 0)
		FROM image_data d, json_each(d.sharing, '$.chains') c;
	`,
	// 2 -> 3: when an image lost its last name.
	`
	-- When the image became dangling (Unix ns), NULL while it has names or when it never had
	-- any (record_created then stands for it): the creation time of its dangling record in
	-- Docker's model, which prune's until filter compares.
	ALTER TABLE images ADD COLUMN dangling_since INTEGER;
	`,
	// 3 -> 4: the root filesystem views runtimes prepared (RootFSPreparer).
	`
	CREATE TABLE rootfs_views (
		key       TEXT    PRIMARY KEY,   -- the runtime's key, also the snapshot's
		image     TEXT    NOT NULL,      -- target digest of the image it was prepared from
		manifest  TEXT    NOT NULL,      -- platform manifest digest
		chain     TEXT    NOT NULL,      -- chain ID of the layers under it ('' for none)
		created   INTEGER NOT NULL,      -- Unix ns
		read_only INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX rootfs_views_image ON rootfs_views(image);
	`,
	// 4 -> 5: a view's snapshot may be a spare prepared in advance (rootfs.go).
	`
	-- The key of the view's snapshot in the snapshotter: NULL when it is the view's key,
	-- a spare's key (imageapi-spare-...) when the view took a spare.
	ALTER TABLE rootfs_views ADD COLUMN snapshot TEXT;
	`,
}

// schemaVersion is the version the catalog has after migrating.
var schemaVersion = len(migrations)

// migrate brings the catalog to schemaVersion, one transaction per step. A catalog newer
// than this code fails with class FailedPrecondition.
func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if v > schemaVersion {
		return fmt.Errorf("schema version %d is newer than this program's %d: %w", v, schemaVersion, errdefs.ErrFailedPrecondition)
	}
	for ; v < schemaVersion; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrating the schema from version %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrating the schema from version %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrating the schema from version %d: %w", v, err)
		}
	}
	return nil
}
