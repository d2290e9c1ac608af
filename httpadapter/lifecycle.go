package httpadapter

import (
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

// The image lifecycle endpoints (spec docker-image-lifecycle.md §2–§5). Each needs an
// optional capability of the service; without it the answer is 501 naming the operation.

// notImplemented is the error of an operation the service does not offer.
func notImplemented(op string) error {
	return errdefs.ErrNotImplemented.WithMessage(op + " is not implemented by this image service")
}

// remove serves DELETE /images/{name}.
func (h *handler) remove(w *responseWriter, r *http.Request, c call) error {
	remover, ok := imagesvc.As[imagesvc.Remover](h.svc)
	if !ok {
		return notImplemented("image remove")
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(c.name) == "" {
		return errInvalid("image name cannot be blank")
	}
	opts := imagesvc.RemoveOptions{
		Force:   boolValue(q, "force"),
		NoPrune: boolValue(q, "noprune"),
	}
	if versionAtLeast(c.version, "1.50") {
		for _, v := range q["platforms"] {
			p, err := parsePlatformJSON(v)
			if err != nil {
				return err
			}
			opts.Platforms = append(opts.Platforms, *p)
		}
	}
	// Docker checks the options (platforms need force) before it resolves the name.
	if err := opts.Validate(); err != nil {
		return err
	}
	ref, err := imagesvc.ParseImageRef(c.name)
	if err != nil {
		return err
	}
	items, err := remover.Remove(r.Context(), ref, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDeleteItems(items))
}

// deleteItem is ImageDeleteResponseItem (api/types/image.DeleteResponse).
type deleteItem struct {
	Deleted  string `json:"Deleted,omitempty"`
	Untagged string `json:"Untagged,omitempty"`
}

// toDeleteItems renders a delete list; an empty one is nil (JSON null), as Docker's
// appends to a nil slice give.
func toDeleteItems(items []imagesvc.DeleteResponse) []deleteItem {
	if len(items) == 0 {
		return nil
	}
	out := make([]deleteItem, len(items))
	for i, it := range items {
		out[i] = deleteItem{Deleted: it.Deleted.String(), Untagged: it.Untagged}
	}
	return out
}

// tag serves POST /images/{name}/tag: 201 with no body.
func (h *handler) tag(w *responseWriter, r *http.Request, c call) error {
	tagger, ok := imagesvc.As[imagesvc.Tagger](h.svc)
	if !ok {
		return notImplemented("image tag")
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	target, err := imagesvc.ParseTagReference(q.Get("repo"), q.Get("tag"))
	if err != nil {
		return err
	}
	// Every failure to resolve the source is a 404 in Docker, a malformed name included.
	source, err := imagesvc.ParseImageRef(c.name)
	if err != nil {
		return errdefs.ErrNotFound.WithMessage(err.Error())
	}
	if err := tagger.Tag(r.Context(), source, target); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

// pruneReport is ImagePruneResponse (api/types/image.PruneReport).
type pruneReport struct {
	ImagesDeleted  []deleteItem `json:"ImagesDeleted"`
	SpaceReclaimed uint64       `json:"SpaceReclaimed"`
}

// prune serves POST /images/prune. The service validates the filters itself: Docker
// answers 409 to a second prune before it looks at them.
func (h *handler) prune(w *responseWriter, r *http.Request, _ call) error {
	pruner, ok := imagesvc.As[imagesvc.Pruner](h.svc)
	if !ok {
		return notImplemented("image prune")
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	args, err := filters.FromJSON(q.Get("filters"))
	if err != nil {
		return err
	}
	report, err := pruner.Prune(r.Context(), imagesvc.PruneOptions{Filters: args})
	if err != nil {
		return err
	}
	out := &pruneReport{}
	if report != nil {
		out.ImagesDeleted = toDeleteItems(report.ImagesDeleted)
		out.SpaceReclaimed = report.SpaceReclaimed
	}
	return writeJSON(w, http.StatusOK, out)
}

// historyItem is ImageHistoryResponseItem (api/types/image.HistoryResponseItem).
type historyItem struct {
	Comment   string   `json:"Comment"`
	Created   int64    `json:"Created"`
	CreatedBy string   `json:"CreatedBy"`
	ID        string   `json:"Id"`
	Size      int64    `json:"Size"`
	Tags      []string `json:"Tags"`
}

// history serves GET /images/{name}/history.
func (h *handler) history(w *responseWriter, r *http.Request, c call) error {
	historian, ok := imagesvc.As[imagesvc.Historian](h.svc)
	if !ok {
		return notImplemented("image history")
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	var opts imagesvc.HistoryOptions
	if versionAtLeast(c.version, "1.48") {
		if v := q.Get("platform"); v != "" {
			var p *ocispec.Platform
			if p, err = parsePlatformJSON(v); err != nil {
				return err
			}
			opts.Platform = p
		}
	}
	ref, err := imagesvc.ParseImageRef(c.name)
	if err != nil {
		return err
	}
	items, err := historian.History(r.Context(), ref, opts)
	if err != nil {
		return err
	}
	// Docker's list starts nil and its Tags too: empty is null.
	var out []historyItem
	if len(items) > 0 {
		out = make([]historyItem, len(items))
	}
	for i, it := range items {
		o := &out[i]
		o.Comment = it.Comment
		if !it.Created.IsZero() {
			o.Created = it.Created.Unix()
		}
		o.CreatedBy = it.CreatedBy
		o.ID = it.ID
		o.Size = it.Size
		if len(it.Tags) > 0 {
			o.Tags = it.Tags
		}
	}
	return writeJSON(w, http.StatusOK, out)
}
