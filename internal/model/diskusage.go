package model

import (
	"iter"

	"github.com/opencontainers/go-digest"
)

// The disk space of images: SharedSize of a list (docker-image-api.md §2.7) and the
// TotalSize of GET /system/df (docker-image-lifecycle.md §10.2), from what each backend
// knows of the blobs and unpacked layer chains of an image.

// Sized is a blob or a layer chain with its size. Its JSON field names are part of the
// SQLite catalog's format.
type Sized struct {
	Digest digest.Digest `json:"d"`
	Size   int64         `json:"s"`
}

// Footprint is what an image takes on disk, as SharedSize and TotalSize count it: its
// distinct present blobs (index, manifests, configs, layers) with their sizes, and the
// distinct layer chains of its unpacked platforms, each with the space of that chain's
// own top layer (a snapshot's usage, without its parents). Its JSON field names are part
// of the SQLite catalog's format.
type Footprint struct {
	Blobs  []Sized `json:"blobs,omitempty"`
	Chains []Sized `json:"chains,omitempty"`
}

// SharedSizes returns the SharedSize of each of the listed images fps, as Docker's
// containerd image store computes it: the size of every blob, and of every layer chain,
// that another of the listed images uses too. Only the listed images count.
func SharedSizes(fps []*Footprint) []int64 {
	blobs := map[digest.Digest]int{}
	chains := map[digest.Digest]int{}
	for _, fp := range fps {
		for _, b := range fp.Blobs {
			blobs[b.Digest]++
		}
		for _, c := range fp.Chains {
			chains[c.Digest]++
		}
	}
	out := make([]int64, len(fps))
	for i, fp := range fps {
		var n int64
		for _, b := range fp.Blobs {
			if blobs[b.Digest] > 1 {
				n += b.Size
			}
		}
		for _, c := range fp.Chains {
			if chains[c.Digest] > 1 {
				n += c.Size
			}
		}
		out[i] = n
	}
	return out
}

// TotalSize returns the space that the images fps take together, as Docker's
// ImageService.ImageDiskUsage counts it (the TotalSize of GET /system/df, LayersSize on
// the wire before API 1.52): every distinct blob once, plus every distinct layer chain
// once (Docker walks each unpacked chain down through its parents, counting each
// snapshot's usage once). fps should be every image of the store, dangling and hidden
// intermediate ones included.
func TotalSize(fps iter.Seq[*Footprint]) int64 {
	// Apart: the chain ID of a bottom layer is its diff ID, the digest of an uncompressed
	// layer blob too.
	blobs := map[digest.Digest]struct{}{}
	chains := map[digest.Digest]struct{}{}
	var n int64
	add := func(seen map[digest.Digest]struct{}, s Sized) {
		if _, ok := seen[s.Digest]; ok {
			return
		}
		seen[s.Digest] = struct{}{}
		n += s.Size
	}
	for fp := range fps {
		for _, b := range fp.Blobs {
			add(blobs, b)
		}
		for _, c := range fp.Chains {
			add(chains, c)
		}
	}
	return n
}
