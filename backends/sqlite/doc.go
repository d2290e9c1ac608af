// Package sqlite is the embedded default backend of imageapi: no daemon, one directory on
// disk. It implements [imagesvc.Service].
//
// # Layout on disk
//
// Everything lives under the root directory given to [Open]:
//
//	root/LOCK          an advisory lock: one Store per root at a time
//	root/catalog.db    the catalog, SQLite in WAL mode (plus -wal and -shm files)
//	root/content/      containerd's local content store (blobs/, ingest/)
//
// The content store is containerd's local store ([local.NewLabeledStore]) with its labels
// kept in the catalog (table content_labels), so a blob and everything known about it are
// found under one root.
//
// # The catalog
//
// The catalog holds one row per image (its ID is the digest of its target: index, manifest
// list or manifest) and one row per name. Everything List and Inspect answer is computed once,
// when content arrives, and stored with the row: the sizes (content, unpacked, totals), the
// per-manifest summaries, the labels of every platform config, the inspect payload of every
// platform. The list path never reads a blob. Filters are pushed down into indexed SQL where
// that narrows the work (reference name prefixes, positive label checks, dangling, config
// creation time for before and since, record creation time for until); the rest is matched
// in Go by package filters. Decoded rows are cached in memory, keyed by row and revision, so
// that a list of thousands of images is a couple of indexed queries and a copy.
//
// One connection writes, in immediate transactions; a pool of read-only connections serves
// List and Inspect, which therefore never wait for pulls or imports. The schema carries a
// version (PRAGMA user_version) and is migrated forward by [Open].
//
// # Crash safety
//
// An image row is written only after every blob it references has been committed to the
// content store (which verifies each blob against its digest), and the row, its names, its
// labels and its blob references are written in one transaction. A crash therefore leaves
// at worst blobs and partial downloads that no image references. [Open] cleans them: it
// aborts every unfinished ingest (no other process can be using the root, see LOCK) and
// deletes every blob that no image references, with its labels.
//
// # Pulls and imports
//
// Pulls go through containerd's resolver and fetch handlers (package internal/pull), with
// registry hosts configured in containerd's hosts.toml layout ([Options.HostsDir]). Two
// pulls of the same reference, platform and credentials share one download: each caller
// sees the progress, a caller that gives up does not cancel the others, and the last one
// leaving cancels the download. Imports (package internal/importer) turn a root
// filesystem archive into a gzip layer, an OCI config and an OCI manifest; the image ID is
// the manifest digest.
package sqlite
