package httpadapter

import (
	"context"
	"net/http"

	"github.com/imageapi/imageapi/imagesvc"
)

// GET /system/df (spec docker-image-lifecycle.md §10): the image part, from the service's
// [imagesvc.DiskUsager]. Containers, volumes and the build cache belong to the host: they
// are sent empty ([] in the legacy arrays, {} as *Usage objects) whenever they are asked
// for, as by a daemon that has none.

// Disk usage object types (the type parameter; system.DiskUsageObject in Docker).
const (
	dfContainer  = "container"
	dfImage      = "image"
	dfVolume     = "volume"
	dfBuildCache = "build-cache"
)

// dfTypes is what a request asks for.
type dfTypes struct{ containers, images, volumes, buildCache bool }

// diskUsage serves GET /system/df.
func (h *handler) diskUsage(w *responseWriter, r *http.Request, c call) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	types := dfTypes{true, true, true, true}
	if vals, ok := q["type"]; ok && versionAtLeast(c.version, "1.42") {
		types = dfTypes{}
		for _, t := range vals {
			switch t {
			case dfContainer:
				types.containers = true
			case dfImage:
				types.images = true
			case dfVolume:
				types.volumes = true
			case dfBuildCache:
				types.buildCache = true
			default:
				return errInvalid("unknown object type: " + t)
			}
		}
	}
	verbose, legacyFields := false, true
	if versionAtLeast(c.version, "1.52") {
		// Docker sends both shapes at 1.52 and later, unless verbose tells that the
		// client knows the new one (a FIXME in moby's getDiskUsage).
		verbose = boolValue(q, "verbose")
		legacyFields = !verbose
	}

	var du *imagesvc.DiskUsage
	if types.images {
		usager, ok := imagesvc.As[imagesvc.DiskUsager](h.svc)
		if !ok {
			return notImplemented("image disk usage")
		}
		d, err := h.computeDiskUsage(r.Context(), usager)
		if err != nil {
			return err
		}
		du = &d
	}

	var legacy legacyDiskUsage
	var usage dfUsage
	if du != nil {
		items := dfItems(du.Images)
		iu := imageDiskUsage(du, items)
		usage.ImageUsage = &iu
		if legacyFields {
			legacy.LayersSize = du.TotalSize
			legacy.Images = items
		}
	}
	if types.containers {
		usage.ContainerUsage = &emptyUsage{}
		if legacyFields {
			legacy.Containers = []struct{}{}
		}
	}
	if types.volumes {
		usage.VolumeUsage = &emptyUsage{}
		if legacyFields {
			legacy.Volumes = []struct{}{}
		}
	}
	if types.buildCache {
		usage.BuildCacheUsage = &emptyUsage{}
		if legacyFields {
			legacy.BuildCache = []struct{}{}
		}
	}

	if versionLess(c.version, "1.52") {
		if versionLess(c.version, "1.44") {
			// Docker's compatibility wrapper: VirtualSize on each image, every object's
			// keys in alphabetical order.
			m, err := compatWrap(&legacy, nil)
			if err != nil {
				return err
			}
			if imgs, ok := m["Images"].([]any); ok {
				for _, img := range imgs {
					if o, ok := img.(map[string]any); ok {
						o["VirtualSize"] = o["Size"]
					}
				}
			}
			return writeJSON(w, http.StatusOK, m)
		}
		return writeJSON(w, http.StatusOK, &legacy)
	}
	return writeJSON(w, http.StatusOK, &diskUsageCompat{legacyDiskUsage: &legacy, dfUsage: &usage})
}

// computeDiskUsage asks the service for its disk usage, once for every request that
// arrives while an earlier one is being computed (Docker's singleflight). Docker keys it
// by verbose because its backend leaves the items out when not verbose; the service's
// answer here does not depend on it, so every request shares one computation. The result
// is shared: it is only read. The computation is cancelled when every request waiting
// for it has gone.
func (h *handler) computeDiskUsage(ctx context.Context, usager imagesvc.DiskUsager) (imagesvc.DiskUsage, error) {
	return h.df.Do(ctx, "images", nil, func(ctx context.Context, _ imagesvc.ProgressFunc) (imagesvc.DiskUsage, error) {
		return usager.DiskUsage(ctx)
	})
}

// dfItems renders the images of a disk usage without the list route's version shaping
// (spec §10.2): the real Containers count, SharedSize, Descriptor on every version, no
// Manifests, and RepoTags and RepoDigests null when empty (Docker's nil slices).
func dfItems(images []imagesvc.Summary) []summary {
	out := make([]summary, len(images))
	withSharedSize := &imagesvc.ListOptions{SharedSize: true}
	for i := range images {
		img := &images[i]
		out[i] = toSummary(img, withSharedSize, true, true)
		if len(img.RepoDigests) == 0 {
			out[i].RepoDigests = nil
		}
		if len(img.RepoTags) == 0 {
			out[i].RepoTags = nil
		}
		out[i].SharedSize = max(img.SharedSize, 0)
	}
	return out
}

// imageDiskUsage computes Docker's figures of the images (moby's imageDiskUsage): the
// count, the images some container uses, and the space the others would free, their
// Size less what they share. Images whose container count is unknown (negative) are
// neither active nor reclaimable.
func imageDiskUsage(du *imagesvc.DiskUsage, items []summary) imageUsage {
	u := imageUsage{TotalCount: int64(len(du.Images)), TotalSize: du.TotalSize, Items: items}
	for i := range du.Images {
		img := &du.Images[i]
		switch {
		case img.Containers < 0:
		case img.Containers > 0:
			u.ActiveCount++
		case img.Size != -1 && img.SharedSize != -1:
			u.Reclaimable += img.Size - img.SharedSize
		}
	}
	return u
}

// legacyDiskUsage is the answer below API 1.52 (moby's legacyDiskUsage): a type computed
// is a non-nil slice, a type not asked for is left out, LayersSize is left out when 0.
// The adapter has no containers, volumes or build cache: their items are always empty.
type legacyDiskUsage struct {
	LayersSize int64      `json:"LayersSize,omitempty"`
	Images     []summary  `json:"Images,omitzero"`
	Containers []struct{} `json:"Containers,omitzero"`
	Volumes    []struct{} `json:"Volumes,omitzero"`
	BuildCache []struct{} `json:"BuildCache,omitzero"`
}

// dfUsage is system.DiskUsage (API 1.52 and later).
type dfUsage struct {
	ImageUsage      *imageUsage `json:"ImageUsage,omitempty"`
	ContainerUsage  *emptyUsage `json:"ContainerUsage,omitempty"`
	VolumeUsage     *emptyUsage `json:"VolumeUsage,omitempty"`
	BuildCacheUsage *emptyUsage `json:"BuildCacheUsage,omitempty"`
}

// diskUsageCompat is the answer from API 1.52 (moby's diskUsageCompat): the legacy fields
// (all left out with verbose), then the *Usage objects.
type diskUsageCompat struct {
	*legacyDiskUsage
	*dfUsage
}

// imageUsage is image.DiskUsage.
type imageUsage struct {
	ActiveCount int64     `json:"ActiveCount,omitempty"`
	Items       []summary `json:"Items,omitempty"`
	Reclaimable int64     `json:"Reclaimable,omitempty"`
	TotalCount  int64     `json:"TotalCount,omitempty"`
	TotalSize   int64     `json:"TotalSize,omitempty"`
}

// emptyUsage is container.DiskUsage, volume.DiskUsage and build.DiskUsage with nothing to
// report: {} on the wire.
type emptyUsage struct{}
