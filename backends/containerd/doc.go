// Package containerd is the imageapi backend that serves Docker's image endpoints from a
// containerd daemon's image store, with the semantics of Docker Engine's containerd image
// store (the "containerd" columns of the spec). It implements [imagesvc.Service].
//
// [New] connects to a daemon (an address, or an existing client) and works in one
// namespace ("default" unless told otherwise; "moby" is where Docker Engine 29 keeps its
// images, so a Store there reads and writes what Docker sees) and one snapshotter
// ("overlayfs" unless told otherwise).
//
// # The model
//
// An image is the set of containerd image records that share a target (an index, a
// manifest list or a manifest); its ID is the target's digest. Record names are the
// image's RepoTags (in familiar form); a record named "moby-dangling@<digest>", as Docker
// writes for an image that lost its last name, makes an image without names. Everything
// else comes from the content store and the snapshotter, as Docker computes it:
// per-manifest summaries with availability and kinds (image, attestation, unknown), the
// best manifest for the host's platform (Created, Labels, Inspect's config), sizes (the
// present blobs plus the snapshotter's disk usage of each unpacked platform),
// SharedSize across the listed images, the parent label (on the record, else on the best
// config), LastTagTime from the records' update times, and pull identities from
// containerd's distribution source labels.
//
// Containers: a [imagesvc.UsageProvider] given in [Options.Usage] answers which
// containers use which images. Without one, containerd's own container records count: a
// container uses the image its Image field names, on the manifest that image's best
// platform selects.
//
// # Lists cost one call
//
// Docker Engine 29 asks containerd for the records, then walks each image's content and
// snapshots on every list (about 40 calls per image). This backend keeps what it learns
// in a cache and keeps the cache right with containerd's events instead:
//
//   - image records, from /images/ events: a record an event names is read again (one
//     Get) at the next list; all of them are listed once at start;
//   - image descriptions (everything that comes from content and snapshots), keyed by
//     target digest and valid for the records (name and update time) they were computed
//     for; a /content/ event on any blob a description looked at, or a /snapshot/ event
//     on any of its layer chains, drops it;
//   - snapshot usage by snapshot name, and the container records (/containers/ events).
//
// A list must not miss a change made just before it: containerd delivers a subscriber's
// events in the order they were published, so each list publishes a barrier event of its
// own on the topic /imageapi/barrier and waits for it to come back before it reads the
// cache. A warm list therefore costs exactly one containerd call (the barrier) whatever
// the number of images, plus one Get per record changed since the last list. Images that
// are new or changed are described with a few calls each (a manifest and a config read,
// one snapshot usage per layer chain), at most [Options.FillConcurrency] at a time; a fill
// of many images first lists the whole content store with one call.
//
// The cache is trusted only while the subscription is live. When the event stream breaks
// (a daemon restart, a lost connection) the Store subscribes again with back-off, lists
// bypass the cache meanwhile (computing everything from scratch, as Docker does), and the
// cache is emptied once the new subscription is confirmed by a barrier. The barrier also
// bounds the wait: a daemon that does not return it within 5 seconds is treated as a lost
// stream.
//
// Daemons before 2.0 publish no event when content is created, only when it is deleted:
// with them, content added behind the Store's back to an image whose records do not change
// (ctr content fetch of a missing platform) shows up once the image's records change, or
// after the next reconnection. Records, deletions, snapshots and containers are followed
// on every version.
//
// # Pulls and imports
//
// [Store.Pull] uses the shared pull engine (package internal/pull: containerd's resolver,
// hosts.toml configuration, credentials, platform selection, Docker's progress stream and
// error texts) under a lease, so that garbage collection cannot remove content mid-pull.
// The engine resolves the reference and writes the index, manifest and config into
// containerd's content store itself. The layers take one of two paths:
//
//   - containerd 2.x: the daemon's transfer service fetches the selected manifest's layers
//     (by digest, with the same hosts directory and the pull's credentials) and unpacks
//     them as they arrive, so that the bytes go from the registry into the daemon once,
//     as with `ctr pull`. Its progress becomes Docker's layer statuses. The transfer ends
//     by creating a record, under a temporary name that List and Inspect never show and
//     that is deleted at once ([Options.LocalPull] turns this path off, for daemons that
//     cannot read the hosts directory or reach the registry as this process does);
//   - containerd 1.6 (no transfer service), registry tokens (which the transfer service
//     cannot present) and LocalPull: the engine fetches the layers through this process,
//     and they are unpacked into the snapshotter as they arrive, in order, while the
//     others still download; the diff ID and size containerd's applier reports become the
//     layer labels the engine needs (so that it never reads a layer back through the
//     socket).
//
// Only once the platform's manifest is fully unpacked is the image record created or
// moved (an image that loses its last name to the pull keeps a dangling record, as in
// Docker). Identical concurrent pulls share one download (package internal/flight).
//
// [Store.Import] writes the layer, config and manifest (package internal/importer), unpacks
// the layer, and only then creates the record. A pull or an import that fails leaves no
// record behind (Docker 29 leaves a broken one when the unpack fails); its content goes
// with its lease.
//
// # Remove, tag, prune, history
//
// The Store also implements [imagesvc.Remover], [imagesvc.Tagger], [imagesvc.Pruner] and
// [imagesvc.Historian], with the rules of Docker's containerd image store written once in
// package internal/model. Remove, Tag and Prune read the records straight from the
// daemon (not from the cache) and are serialized with each other and with the naming
// step of pulls and imports, so that each sees the records as only its own changes leave
// them; the list cache learns of their changes from containerd's events, as of any other.
//
//   - Remove deletes records from containerd's image service; the last record of an image
//     is deleted with SynchronousDelete, so that containerd's garbage collection has
//     released the blobs and snapshots no other image uses when Remove returns. Each
//     deletion names the target it expects (containerd 2.x checks it), so that a record
//     moved meanwhile by another client is left alone. A platform delete removes the
//     platform's blobs from the content store directly, as Docker does.
//   - Tag creates a record with the labels of the image's first record and a fresh
//     creation time; a name moved away from an image that had no other keeps that image as
//     "moby-dangling@<digest>" (with its record labels, less the name labels).
//   - Prune deletes each record synchronously and reports the blobs and snapshots that
//     really disappeared. Docker also deletes its pulls' leases (moby/prune.images); this
//     Store creates no such leases (its pulls and imports release theirs when they end)
//     and leaves other programs' leases alone.
//   - History takes sizes from the snapshotter's usage of each layer chain, and follows
//     the classic builder's parent labels on records as Docker does.
//
// # Events
//
// The Store implements [imagesvc.EventWatcher] with an events log of its own (package
// internal/eventlog). Each action publishes Docker's events once it succeeded (pull,
// push, tag, untag, delete, import, load, save; prune's untag and delete), with the
// image's config labels read at that moment, through the derivations every backend
// shares (eventlog, internal/transfer).
//
// Changes other containerd clients make to the namespace's records (ctr pull, ctr images
// tag, ctr images rm, a Docker Engine sharing the namespace) are reported too. containerd's
// /images/ events name a record but not its target, so the Store keeps what it knows of
// the records (name → target digest): its own writes update it as they happen, and a
// containerd event makes the Store read the record named and compare, both while holding
// the lock its writes take. The events of the Store's own writes then find nothing new and
// report nothing; what is left is translated: a name created or moved gives "tag" (the
// new target, its labels), a name deleted gives "untag" (the target it had), and a target
// left with no record gives "delete". moby-dangling@ records count as records of their
// image but give no tag or untag; transfers' temporary records are ignored. Each write of
// the Store first waits for a barrier, so that the other clients' changes made before it
// are reported before its own. When the event stream was lost, every record is listed once
// it is back and compared, so the changes made meanwhile are reported (as their net
// change); the first list after New only learns the records. An action publishes its
// events before it releases that lock, so they come in the order of the changes to the
// records.
//
// # Conditional requests
//
// The Store is an [imagesvc.ListVersioner] (HTTP ETags and 304 Not Modified through the
// adapter): its version is a generation that every containerd event able to change a list
// or an inspect bumps (images, content, snapshots of its snapshotter, and containers when
// it counts containerd's own), as does the end of each of its own writes; ListVersion
// first waits for a barrier, so every event published before it is counted. It fails
// (no ETag) while the event stream is down or one of its writes is in progress, and with a
// usage provider that is not [imagesvc.UsageTrackedPerCall]. [Store.ListVersion] explains
// why a 304 is never stale, and what containerd changes without telling anyone.
//
// Containers, for remove's conflicts and prune's exceptions: the usage provider's when it
// implements [imagesvc.ContainerLister] (none when it does not); without a provider,
// containerd's own containers of the namespace: a container uses the image whose record
// its Image field names, and runs while its task is running, pausing or paused.
//
// # Supported daemons
//
// The client is containerd's v2 client; the tests run against containerd 2.x at the same
// version and against Debian's containerd 1.6, the oldest supported daemon. Test daemons
// are started by package internal/containerdtest.
package containerd
