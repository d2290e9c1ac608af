package imagesvc

import "context"

// DiskUsager reports the disk space taken by a service's images (the image part of GET
// /system/df, spec docker-image-lifecycle.md §10). It is an optional capability, like
// [Remover].
type DiskUsager interface {
	// DiskUsage returns the images as [Lister.List] does with SharedSize set, All unset and
	// no filters (one summary per distinct target, dangling images included, intermediate
	// parents hidden), with Containers counted by the usage provider, and the space all
	// images take together.
	//
	// The figures Docker derives from these (active count, reclaimable space, the per-version
	// shapes) are computed by the caller, in one place.
	DiskUsage(ctx context.Context) (DiskUsage, error)
}

// DiskUsage is the answer of [DiskUsager.DiskUsage].
type DiskUsage struct {
	// Images are the listed images, SharedSize computed across them.
	Images []Summary
	// TotalSize is the space all images take, dangling and intermediate ones included:
	// every distinct blob reachable from any image counted once, plus the unpacked size
	// of each distinct layer chain (LayersSize on the wire before API 1.52).
	TotalSize int64
}
