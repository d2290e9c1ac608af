package httpadapter

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"

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
	tag := t.tag()
	if notModified(w, r, tag, true) {
		return nil
	}
	// The answer kept for this tag, if any, is the answer now: the tag names everything
	// the answer depends on, as it does for the 304 above.
	if body := h.lists.get(tag); body != nil {
		writeListBody(w, tag, body)
		return nil
	}

	images, err := h.svc.List(r.Context(), opts)
	if err != nil {
		return err
	}
	if t.answered(r.Context(), w, r) {
		return nil
	}

	body := encodeList(images, version, &opts, h.lists.sizeHint(len(images)))
	// Only an answer whose tag was confirmed (the versions did not change while it was
	// computed) is kept; the tag is "" otherwise.
	tag = t.tag()
	h.lists.put(tag, body, len(images))
	writeListBody(w, tag, body)
	return nil
}

// writeListBody writes a list's encoded answer with its length and tag ("" for none).
func writeListBody(w http.ResponseWriter, tag string, body []byte) {
	hdr := w.Header()
	if tag != "" {
		hdr.Set("ETag", tag)
	}
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // a client gone away is not an error of the handler
}

// encodeList returns the JSON answer of a list for the API version: the array of
// summaries and a newline, as json.Encoder writes it. hint is the expected size.
func encodeList(images []imagesvc.Summary, version string, opts *imagesvc.ListOptions, hint int) []byte {
	b := make([]byte, 0, max(hint, 64))
	b = append(b, '[')
	if versionLess(version, "1.44") {
		useNone := versionLess(version, "1.43")
		for i := range images {
			if i > 0 {
				b = append(b, ',')
			}
			s := toLegacySummary(&images[i], useNone, opts.SharedSize)
			b = s.appendJSON(b)
		}
	} else {
		withDescriptor := versionAtLeast(version, "1.48")
		withContainers := versionAtLeast(version, "1.51")
		for i := range images {
			if i > 0 {
				b = append(b, ',')
			}
			s := toSummary(&images[i], opts, withDescriptor, withContainers)
			b = s.appendJSON(b)
		}
	}
	return append(b, ']', '\n')
}

// toSummary shapes a summary for API 1.44 and later.
func toSummary(img *imagesvc.Summary, opts *imagesvc.ListOptions, withDescriptor, withContainers bool) summary {
	s := summary{
		Containers:  -1,
		Created:     unixSeconds(img),
		ID:          img.ID.String(),
		Labels:      img.Labels,
		ParentID:    img.ParentID.String(),
		RepoDigests: nonNil(img.RepoDigests),
		RepoTags:    nonNil(img.RepoTags),
		SharedSize:  img.SharedSize,
		Size:        img.Size,
	}
	if withContainers {
		s.Containers = img.Containers
	}
	if withDescriptor {
		s.Descriptor = descriptorPtr(&img.Descriptor)
	}
	if opts.Manifests {
		s.Manifests = toManifests(img.Manifests, opts.Identity)
	}
	if !opts.SharedSize {
		s.SharedSize = -1
	}
	return s
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

// toLegacySummary shapes a summary for API versions below 1.44: VirtualSize,
// alphabetical keys, Containers -1, and with useNone (below 1.43) the "<none>"
// placeholders of untagged images.
func toLegacySummary(img *imagesvc.Summary, useNone, sharedSize bool) legacySummary {
	s := legacySummary{
		Containers:  -1,
		Created:     unixSeconds(img),
		ID:          img.ID.String(),
		Labels:      img.Labels,
		ParentID:    img.ParentID.String(),
		RepoDigests: nonNil(img.RepoDigests),
		RepoTags:    nonNil(img.RepoTags),
		SharedSize:  img.SharedSize,
		Size:        img.Size,
		VirtualSize: img.Size,
	}
	if useNone && len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 {
		s.RepoTags = []string{"<none>:<none>"}
		s.RepoDigests = []string{"<none>@<none>"}
	}
	if !sharedSize {
		s.SharedSize = -1
	}
	return s
}

// unixSeconds is the Created of a summary on the wire: Unix seconds, 0 when unknown.
func unixSeconds(img *imagesvc.Summary) int64 {
	if img.Created.IsZero() {
		return 0
	}
	return img.Created.Unix()
}

// Limits of a handler's kept list answers (listCache).
const (
	keptLists     = 16       // answers
	keptListBytes = 32 << 20 // bytes, all answers together
)

// listCache keeps the encoded answers of recent lists by their ETag, so that a list
// repeated while nothing changed is written from the bytes of the one before, neither
// listed nor encoded again (a poller that sends no If-None-Match costs what sending the
// bytes does). The tag names everything an answer depends on (conditional.go): the
// service's version, the host's usage version, the API version and the normalized
// query, under the handler's nonce; an answer is kept only under a tag that was
// confirmed after it was computed, and an answer with no tag is never kept. An entry
// goes when newer ones push it out (at most keptLists answers and keptListBytes bytes);
// one whose tag no request can produce again (the version moved on) is simply never hit.
// The kept bytes are never modified.
type listCache struct {
	mu       sync.Mutex
	entries  []keptList // most recently used last
	bytes    int
	perImage int // bytes per image of the last answer computed, for the next one's buffer
}

type keptList struct {
	tag  string
	body []byte
}

// get returns the answer kept under tag, or nil.
func (c *listCache) get(tag string) []byte {
	if tag == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.entries {
		if e.tag == tag {
			copy(c.entries[i:], c.entries[i+1:])
			c.entries[len(c.entries)-1] = e
			return e.body
		}
	}
	return nil
}

// put keeps body, the answer of a list of images, under tag ("" keeps nothing), dropping
// the least recently used answers beyond the limits.
func (c *listCache) put(tag string, body []byte, images int) {
	if tag == "" || len(body) > keptListBytes {
		c.learn(body, images)
		return
	}
	if cap(body)-len(body) > len(body)/4 {
		body = bytes.Clone(body) // kept for long: not with the spare room of its growth
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.learnLocked(body, images)
	for i, e := range c.entries {
		if e.tag == tag { // two requests computed the same answer
			c.entries = append(c.entries[:i], c.entries[i+1:]...)
			c.bytes -= len(e.body)
			break
		}
	}
	c.entries = append(c.entries, keptList{tag: tag, body: body})
	c.bytes += len(body)
	for len(c.entries) > keptLists || c.bytes > keptListBytes {
		c.bytes -= len(c.entries[0].body)
		c.entries[0] = keptList{}
		c.entries = c.entries[1:]
	}
}

// learn records the size per image of an answer of a list of images (sizeHint).
func (c *listCache) learn(body []byte, images int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.learnLocked(body, images)
}

func (c *listCache) learnLocked(body []byte, images int) {
	if images > 0 {
		c.perImage = len(body) / images
	}
}

// sizeHint returns the expected size of the answer of a list of n images, from the last
// one computed, to size its buffer.
func (c *listCache) sizeHint(n int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return n*(c.perImage+c.perImage/16) + 16
}
