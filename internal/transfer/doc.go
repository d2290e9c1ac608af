// Package transfer holds Docker 29's rules for moving images in and out of a store
// without a pull: save (an image archive written with containerd's archive exporter),
// load (an archive read with containerd's archive importer) and push (containerd's
// pusher), as spec docker-image-lifecycle.md §6–§8 describes them for the containerd
// image store.
//
// The rules are written once here and called by every backend; a backend supplies only
// primitives: its content store (a view that protects what the operation reads or writes
// from garbage collection), its records through [model.TargetReader], and a function that
// writes the records an operation decided on.
package transfer
