// Package sqlite is the embedded default backend of imageapi: no daemon, one directory on
// disk. [Open] returns a [Store], which implements [imagesvc.Service].
//
// # Layout on disk
//
// Everything lives under the root directory given to [Open]:
//
//	root/LOCK          an advisory lock: one Store per root at a time, across processes
//	root/catalog.db    the catalog, SQLite in WAL mode (plus -wal and -shm files)
//	root/content/      containerd's local content store (blobs/, ingest/)
//
// The content store is containerd's local store (local.NewLabeledStore) with its labels
// kept in the catalog (table content_labels), so that a blob and everything known about
// it are found under one root. It passes containerd's content store test suite.
//
// # The catalog
//
// The catalog holds one row per image, identified by the digest of its target (an index,
// a manifest list or a manifest, as in Docker's containerd image store), and one row per
// name (a reference in tag or digest form). Everything List and Inspect answer is computed
// once, when content arrives, and stored with the image: the sizes (content and unpacked,
// per manifest and in total), the per-manifest summaries, the labels of every platform
// config, the inspect payload of every platform, the blobs and layer chains that
// SharedSize compares. The list path never reads a blob.
//
// List runs one indexed query that returns the candidate rows newest first; filters are
// pushed down into it where an index narrows the work (reference patterns with a literal
// prefix, label checks that require a label, dangling, the config creation time for
// before and since, the record creation time for until), and every candidate is then
// matched exactly in Go by package filters. Decoded rows are cached in memory, keyed by
// row and revision (a row's revision changes with the image or its names, and is drawn
// from a catalog-wide counter, so that it is never given twice), so that a list
// of thousands of images is one query and a copy; the cache holds only what List needs,
// with repeated strings interned. Inspect resolves a reference with one or two indexed
// lookups and keeps the decoded payloads of the images inspected last.
//
// One connection writes, in immediate transactions; a pool of read-only connections serves
// List and Inspect, which therefore never wait for pulls or imports. The schema carries a
// version (PRAGMA user_version) that [Open] migrates forward; a catalog written by a newer
// version is refused.
//
// # Names and dangling images
//
// A pull records the name it pulled; an import the name it was given, if any. A name that
// is pulled, imported or tagged again moves to the new image; an image that loses its last
// name stays, dangling, as in Docker, until it is removed or pruned. Without
// ListOptions.All, dangling images that are the parent (label
// org.mobyproject.image.parent) of another image are not listed.
//
// # Removing images and garbage collection
//
// [Store.Remove], [Store.Tag], [Store.Prune] and [Store.History] follow Docker's
// containerd image store (package internal/model holds the rules, written once for every
// backend): a name of an image is a record, and an image without names is its dangling
// record. A remove runs in one write transaction; a prune in transactions of a few
// hundred records, so that pulls, imports and lists go on meanwhile.
//
// Content no image references is removed while the store runs, without a restart: after
// a remove or a prune, the blobs of the deleted images that no other image references;
// after a pull or an import that failed or was cancelled, its unfinished downloads and the
// blobs it stored for nothing; and when a write finds the disk full, everything that no
// image references. Pulls and imports in progress hold a lease on every blob they looked
// at or wrote and on the downloads they opened: garbage collection leaves those alone
// until the operation has recorded its image (or failed), and decides under the leases'
// lock, so that a blob is never deleted between an operation finding it present and
// recording the image that references it.
//
// # Crash safety
//
// An image is recorded only after every blob it references has been committed to the
// content store, which verifies each blob against its digest, and the image row, its
// names, its labels and its blob references are written in one transaction. An image is
// removed in one transaction too, and its blobs are deleted only after it commits. A
// crash therefore leaves at worst unfinished downloads and blobs that no image
// references. [Open] removes them: it deletes every unfinished ingest (no other process
// can be using the root, see LOCK) and every blob that no image references, with its
// labels. So a download interrupted by a crash starts again from the beginning.
//
// # Pulls and imports
//
// Pulls go through the pull engine shared by the backends (internal/pull: containerd's
// resolver and fetcher, registry hosts configured in containerd's hosts.toml layout, see
// [Options.HostsDir]). Two pulls of the same reference, platform and credentials share one
// download: each caller sees the progress, a caller that gives up does not disturb the
// others, and the download is cancelled when the last caller leaves or the store closes.
// Imports (internal/importer) turn a root filesystem archive into a gzip layer, an OCI
// config and an OCI manifest; the image ID is the manifest digest.
package sqlite
