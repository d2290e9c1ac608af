// Package model holds Docker's rules for images, written once for every backend: the
// records of Docker's containerd image store (a name pointing at a target, with
// "moby-dangling@<digest>" for images without names), and the decision procedures of
// remove (spec docker-image-lifecycle.md §2), prune (§4) and history (§5) over them.
//
// A backend supplies primitives (read the records of a target, delete one record, keep
// an image as dangling, delete a platform's content) through [Store]; the rules decide
// what to call and what to answer, so that every backend answers alike.
package model
