package plugins

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// ListVersioner is an optional interface of the backend a plugin serves. A backend that
// implements it lets the host keep the answers of its lists: before each list, the
// plugin asks the backend for its version, and when the host already has the answer to
// the same list at the same version, the plugin says so instead of listing (backend.proto,
// "Conditional lists"). A repeated list then costs a round trip and the decoding of what
// the host kept, instead of the backend's list, its encoding, transfer and decoding.
//
// ListVersion returns a value that changes whenever any List of the backend could answer
// differently from before: after every write that a list could show (images added,
// replaced, removed, tagged or untagged, their labels or sizes changed), and whenever the
// backend's state is reloaded. The value only has to differ from the earlier values of
// the same process: the plugin adds a random value of its own, so that a relaunched
// plugin never takes the versions of the one before it. Two things are accounted for by
// the plugin itself and need not change the version: the time, which "until" filters
// depend on (such lists are never kept), and the containers that the host's usage
// provider reports through [HostUsage] (lists for which the backend asked the host are
// never kept; the plugin knows that a list asked when HostUsage was called with the
// context of that List call, and whether List asks must itself depend only on the
// request and the version, as everything else List does).
//
// It is called before every List, concurrently with other calls, and must be cheap (a
// counter, not a scan of the catalog). A write that completes while a list is in progress
// may or may not be seen by that list; the plugin reads the version before calling List,
// so such a list is labelled with the older version and is not reused once the write has
// changed it. When ListVersion fails, the list is answered in full.
//
// It is [imagesvc.ListVersioner]; this name stays for plugins written before it moved.
type ListVersioner = imagesvc.ListVersioner

// newNonce returns the random part of a server's etags.
func newNonce() [16]byte {
	var n [16]byte
	_, _ = rand.Read(n[:]) // never fails (crypto/rand.Read)
	return n
}

// etag labels the answer to req at the backend's version: a hash of the server's nonce,
// the version and every field of the request but if_none_match.
func (s *server) etag(version string, req *pb.ListRequest) string {
	h := sha256.New()
	var b []byte
	b = append(b, s.nonce[:]...)
	b = binary.AppendUvarint(b, uint64(len(version)))
	b = append(b, version...)
	for _, f := range []bool{req.GetAll(), req.GetSharedSize(), req.GetManifests(), req.GetIdentity()} {
		if f {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = append(b, req.GetFilters()...)
	h.Write(b)
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}
