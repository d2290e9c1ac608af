package httpadapter

import (
	"net/http"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

// list serves GET /images/json.
func (h *handler) list(w http.ResponseWriter, r *http.Request, version string) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	args, err := filters.FromJSON(q.Get("filters"))
	if err != nil {
		return err
	}
	// The legacy image name glob, honoured on every version (a project decision; Docker
	// keeps it below 1.25 only), unless filters has a reference key.
	args = args.WithLegacyName(q.Get("filter"))

	opts := imagesvc.ListOptions{
		All:     boolValue(q, "all"),
		Filters: args,
	}
	if versionAtLeast(version, "1.42") {
		opts.SharedSize = boolValue(q, "shared-size")
	}
	if versionAtLeast(version, "1.47") {
		opts.Manifests = boolValue(q, "manifests")
	}
	if versionAtLeast(version, "1.54") {
		opts.Identity = boolValue(q, "identity")
	}
	if err := opts.Validate(); err != nil {
		return err
	}

	// The tag covers the options as the service sees them (the version's defaults and
	// ignored parameters applied), the API version (the shape of the answer), and no
	// list that depends on the current time.
	var t tagger
	if h.versioner != nil && !args.Contains("until") {
		fj, err := args.ToJSON()
		if err != nil {
			return err
		}
		t = h.newTagger(r.Context(), "list", version, fj,
			flags(opts.All, opts.SharedSize, opts.Manifests, opts.Identity))
	}
	if notModified(w, r, t.tag(), true) {
		return nil
	}

	images, err := h.svc.List(r.Context(), opts)
	if err != nil {
		return err
	}
	if t.answered(r.Context(), w, r) {
		return nil
	}

	if versionLess(version, "1.44") {
		return writeJSON(w, http.StatusOK, legacySummaries(images, version, opts.SharedSize))
	}
	out := make([]summary, len(images))
	withDescriptor := versionAtLeast(version, "1.48")
	withContainers := versionAtLeast(version, "1.51")
	for i := range images {
		img := &images[i]
		s := &out[i]
		s.Containers = -1
		if withContainers {
			s.Containers = img.Containers
		}
		s.Created = unixSeconds(img)
		s.ID = img.ID.String()
		s.Labels = img.Labels
		s.ParentID = img.ParentID.String()
		if withDescriptor {
			s.Descriptor = descriptorPtr(&img.Descriptor)
		}
		if opts.Manifests {
			s.Manifests = toManifests(img.Manifests, opts.Identity)
		}
		s.RepoDigests = nonNil(img.RepoDigests)
		s.RepoTags = nonNil(img.RepoTags)
		s.SharedSize = img.SharedSize
		if !opts.SharedSize {
			s.SharedSize = -1
		}
		s.Size = img.Size
	}
	return writeJSON(w, http.StatusOK, out)
}

// flags encodes booleans as "0" and "1".
func flags(bs ...bool) string {
	b := make([]byte, len(bs))
	for i, v := range bs {
		b[i] = '0'
		if v {
			b[i] = '1'
		}
	}
	return string(b)
}

// legacySummaries shapes a list for API versions below 1.44: VirtualSize, alphabetical
// keys, Containers -1, and below 1.43 the "<none>" placeholders of untagged images.
func legacySummaries(images []imagesvc.Summary, version string, sharedSize bool) []legacySummary {
	useNone := versionLess(version, "1.43")
	out := make([]legacySummary, len(images))
	for i := range images {
		img := &images[i]
		s := &out[i]
		s.Containers = -1
		s.Created = unixSeconds(img)
		s.ID = img.ID.String()
		s.Labels = img.Labels
		s.ParentID = img.ParentID.String()
		s.RepoDigests = nonNil(img.RepoDigests)
		s.RepoTags = nonNil(img.RepoTags)
		if useNone && len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 {
			s.RepoTags = []string{"<none>:<none>"}
			s.RepoDigests = []string{"<none>@<none>"}
		}
		s.SharedSize = img.SharedSize
		if !sharedSize {
			s.SharedSize = -1
		}
		s.Size = img.Size
		s.VirtualSize = img.Size
	}
	return out
}

// unixSeconds is the Created of a summary on the wire: Unix seconds, 0 when unknown.
func unixSeconds(img *imagesvc.Summary) int64 {
	if img.Created.IsZero() {
		return 0
	}
	return img.Created.Unix()
}
