package httpadapter

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
)

// Conditional requests (RFC 9110 §8.8.3, §13.1.2) on GET /images/json and GET
// /images/{name}/json.
//
// An answer carries an ETag when the service can tell that it has not changed: the
// service is an [imagesvc.ListVersioner] and its version is known. The tag is a hash of
// everything the answer depends on: the handler's nonce (drawn per handler, so that a
// restarted host never takes the tags of the one before), the service's version, the
// route, the API version, the request's normalized options, and the usage version the host
// supplies ([Options.UsageVersion]). A request whose If-None-Match matches the tag the
// answer would get now is answered 304 with no body, without listing.
//
// What may change an answer without changing the service's version sends no tag: an
// until filter (the current time), a version the service cannot give (it fails, e.g. a
// usage provider it cannot version, or a write in progress), a version that changed while
// the answer was computed, and a usage version the host supplies but cannot give. The tag
// is weak (W/"..."): the same tag means the same images, not the same bytes (RFC 9110
// §8.8.1); If-None-Match uses the weak comparison anyway (§13.1.2).

// UsageVersionFunc returns the version of a host's usage provider ([Options.UsageVersion]).
type UsageVersionFunc func(ctx context.Context) (string, error)

// newNonce returns the random part of a handler's tags.
func newNonce() [16]byte {
	var n [16]byte
	_, _ = rand.Read(n[:]) // never fails (crypto/rand.Read)
	return n
}

// tagger computes the tag of one answer. The zero value has no tag.
type tagger struct {
	h       *handler
	version string // the service's version read before the answer; "" for none
	usage   string // the host's usage version; "" without one
	parts   []byte // the route, API version and options
}

// newTagger reads the versions the answer depends on, before it is computed. It returns
// a tagger with no tag when the service or the host's usage provider cannot tell.
func (h *handler) newTagger(ctx context.Context, route, apiVersion string, options ...string) tagger {
	version, usage, ok := h.versions(ctx)
	if !ok {
		return tagger{}
	}
	t := tagger{h: h, version: version, usage: usage}
	t.parts = appendField(t.parts, route)
	t.parts = appendField(t.parts, apiVersion)
	for _, o := range options {
		t.parts = appendField(t.parts, o)
	}
	return t
}

// versions reads the service's version and the host's usage version; ok is false when
// either is unknown (no ETag then).
func (h *handler) versions(ctx context.Context) (version, usage string, ok bool) {
	if h.versioner == nil {
		return "", "", false
	}
	version, err := h.versioner.ListVersion(ctx)
	if err != nil || version == "" {
		return "", "", false
	}
	if h.usageVersion != nil {
		if usage, err = h.usageVersion(ctx); err != nil || usage == "" {
			return "", "", false
		}
	}
	return version, usage, true
}

// appendField appends s to b with its length, so that no two lists of fields encode the
// same.
func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// tag returns the ETag of the answer, "" for none.
func (t *tagger) tag() string {
	if t.version == "" {
		return ""
	}
	h := sha256.New()
	var b []byte
	b = append(b, t.h.nonce[:]...)
	b = appendField(b, t.version)
	b = appendField(b, t.usage)
	b = append(b, t.parts...)
	h.Write(b)
	sum := h.Sum(nil)
	return `W/"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// confirm reads the versions again once the answer is computed, and drops the tag when
// one changed meanwhile: the answer may then show a write the tag would not name.
func (t *tagger) confirm(ctx context.Context) {
	if t.version == "" {
		return
	}
	if version, usage, ok := t.h.versions(ctx); !ok || version != t.version || usage != t.usage {
		*t = tagger{}
	}
}

// answered ends the conditional part of a request whose answer exists: it confirms the
// tag (see confirm), and either answers 304 to an If-None-Match of "*" (which fails for
// any existing answer, tagged or not), returning true, or sets the ETag of the answer the
// caller then writes.
func (t *tagger) answered(ctx context.Context, w http.ResponseWriter, r *http.Request) bool {
	t.confirm(ctx)
	tag := t.tag()
	if matchesNoneMatch(r.Header.Values("If-None-Match"), "", true) {
		writeNotModified(w, tag)
		return true
	}
	if tag != "" {
		w.Header().Set("ETag", tag)
	}
	return false
}

// notModified answers 304 when the request's If-None-Match matches tag (the weak
// comparison), and reports whether it did; "*" matches when exists says that the resource
// exists whatever the request's outcome (a list; not an inspect, whose name may be
// unknown). The 304 carries the ETag and no body (RFC 9110 §15.4.5).
func notModified(w http.ResponseWriter, r *http.Request, tag string, exists bool) bool {
	if tag == "" || !matchesNoneMatch(r.Header.Values("If-None-Match"), tag, exists) {
		return false
	}
	writeNotModified(w, tag)
	return true
}

// writeNotModified writes a 304 with the tag, if any.
func writeNotModified(w http.ResponseWriter, tag string) {
	hdr := w.Header()
	if tag != "" {
		hdr.Set("ETag", tag)
	}
	hdr.Del("Content-Type")
	hdr.Del("Content-Length")
	w.WriteHeader(http.StatusNotModified)
}

// matchesNoneMatch reports whether one of the entity tags of the If-None-Match field
// values matches tag with the weak comparison (RFC 9110 §8.8.3.2): the opaque tags are
// equal, whether either is weak or not. A malformed list matches nothing from the point
// where it stops parsing: the request is then answered in full, which is always right.
func matchesNoneMatch(values []string, tag string, star bool) bool {
	want := opaque(tag)
	for _, v := range values {
		s := v
		for {
			s = strings.TrimLeft(s, " \t,")
			if s == "" {
				break
			}
			if s[0] == '*' {
				if star {
					return true
				}
				break
			}
			s = strings.TrimPrefix(s, "W/")
			if s == "" || s[0] != '"' {
				break
			}
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				break
			}
			if s[:end+2] == want {
				return true
			}
			s = s[end+2:]
		}
	}
	return false
}

// opaque returns the opaque tag of an entity tag: without its weakness indicator.
func opaque(tag string) string {
	return strings.TrimPrefix(tag, "W/")
}
