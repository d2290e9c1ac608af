package model

import (
	"slices"

	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
)

// ViewContainers returns the root filesystem views as the stopped containers Docker's
// rules see (the view key as the container ID): an image a view was prepared from cannot
// be removed unless forced, prune keeps it, and list and df count the view on its
// platform manifest, as Docker's containerd store counts a container on its
// ImageManifest.
func ViewContainers(views []imagesvc.RootFSView) []imagesvc.Container {
	out := make([]imagesvc.Container, len(views))
	for i, v := range views {
		out[i] = imagesvc.Container{ID: v.Key, ImageID: v.Image, ImageManifest: v.Manifest, Image: v.Image.String()}
	}
	return out
}

// AddViewUsage returns usage (a usage provider's answer: digest -> container IDs) with
// each view added as a container of its platform manifest (see ViewContainers), unless
// the provider already reports a container with the view's key there (a runtime whose
// containers are its views). usage is not modified; it is returned as it is when there
// are no views.
func AddViewUsage(usage map[digest.Digest][]string, views []imagesvc.RootFSView) map[digest.Digest][]string {
	if len(views) == 0 {
		return usage
	}
	out := make(map[digest.Digest][]string, len(usage)+len(views))
	for d, ids := range usage {
		out[d] = ids
	}
	for _, v := range views {
		if ids := out[v.Manifest]; !slices.Contains(ids, v.Key) {
			out[v.Manifest] = append(slices.Clip(ids), v.Key)
		}
	}
	return out
}
