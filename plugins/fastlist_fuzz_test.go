package plugins

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// FuzzDecodeList decodes arbitrary bytes as one ListResponse with the fast decoder and with
// the generated code (proto.Unmarshal into pb.ListResponse, then decodeSummary), and
// checks that they agree. The property, in three parts:
//
//  1. Refusal. When protobuf refuses the bytes, the fast decoder refuses them too. The one
//     exception is text that is not UTF-8: protobuf checks proto3 strings, the fast decoder
//     takes them as substrings of the message without looking (a Go string may hold any
//     bytes), and as protobuf stops at that error, nothing is known about the rest.
//  2. Acceptance. When protobuf accepts the bytes, the fast decoder accepts them too, or
//     refuses them with errGroup: protobuf skips groups as unknown fields, the fast decoder
//     refuses them (no encoder of this protocol writes them). When both accept, they give
//     the same etag, not_modified and number of images, and for each image the same
//     scalar and repeated fields. Not the singular message fields (created, labels, the
//     descriptor...): when one appears twice in a message, protobuf merges the two, the
//     fast decoder keeps the last, and no encoder writes a field twice.
//  3. Same values. The canonical encoding of what protobuf decoded (unknown fields
//     dropped, each field once, as every protobuf encoder writes) is decoded by the fast
//     decoder to exactly what decodeSummary gives.
//
// And whatever the bytes, the fast decoder neither panics nor allocates more than the
// bytes can hold (a false total included; TestFastListHugeTotalTinyBody checks the bound).
func FuzzDecodeList(f *testing.F) {
	// Seeds: real lists, as the fast encoder and the generated code write them, small
	// enough for the mutator to work on (a summary with 200 manifests is cut to 3).
	sums := sampleSummaries()
	sums[1].Manifests = sums[1].Manifests[:3]
	addEncoded := func(sums []imagesvc.Summary, etag string) {
		_ = encodeList(sums, etag, func(e encodedList) error {
			f.Add(append([]byte(nil), *e.buf...))
			listPool.Put(e.buf)
			return nil
		})
	}
	addEncoded(sums, "etag-1")
	for i := range sums {
		addEncoded(sums[i:i+1], "")
	}
	addEncoded(benchSummaries(3), "e")
	slow := &pb.ListResponse{Etag: "etag-2"}
	for i := range sums {
		slow.Images = append(slow.Images, encodeSummary(&sums[i]))
	}
	for _, m := range []*pb.ListResponse{slow, {Etag: "e", NotModified: true}, {Total: 1 << 24}} {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x10\x80\x80\x80\x08\x0a\x00")) // a huge total, one empty image
	f.Add([]byte("\x0a\x02\x1b\x1c"))             // a group in an image

	f.Fuzz(func(t *testing.T, data []byte) {
		var l listDecoder
		err := l.add(string(data))
		got, ferr := l.finish()
		if err == nil {
			err = ferr
		}

		var m pb.ListResponse
		perr := proto.Unmarshal(data, &m)
		if perr != nil {
			if err == nil && !strings.Contains(perr.Error(), "invalid UTF-8") {
				t.Fatalf("protobuf refuses %q (%v), the fast decoder accepts it", data, perr)
			}
			return
		}
		if err != nil {
			if errors.Is(err, errGroup) {
				return
			}
			t.Fatalf("protobuf accepts %q, the fast decoder refuses it: %v", data, err)
		}
		if l.etag != m.GetEtag() || l.notModified != m.GetNotModified() || len(got) != len(m.GetImages()) {
			t.Fatalf("%q: fast decoder etag %q, not modified %v, %d images; protobuf %q, %v, %d",
				data, l.etag, l.notModified, len(got), m.GetEtag(), m.GetNotModified(), len(m.GetImages()))
		}
		for i, pm := range m.GetImages() {
			var want imagesvc.Summary
			decodeSummary(pm, &want)
			g := got[i]
			if g.ID != want.ID || g.ParentID != want.ParentID || g.Size != want.Size || g.SharedSize != want.SharedSize ||
				g.Containers != want.Containers || len(g.Manifests) != len(want.Manifests) || (g.Manifests == nil) != (want.Manifests == nil) ||
				!equalStrings(g.RepoTags, want.RepoTags) || !equalStrings(g.RepoDigests, want.RepoDigests) {
				t.Fatalf("%q: image %d: fast decoder %+v, protobuf %+v", data, i, g, want)
			}
		}

		// The canonical encoding, decoded in full.
		var c pb.ListResponse
		if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		got, err = decodeList(string(b))
		if err != nil {
			t.Fatalf("the canonical encoding %q of %q: %v", b, data, err)
		}
		if len(got) != len(c.GetImages()) {
			t.Fatalf("%q: %d images, protobuf %d", b, len(got), len(c.GetImages()))
		}
		for i, pm := range c.GetImages() {
			var want imagesvc.Summary
			decodeSummary(pm, &want)
			if len(got[i].Manifests) != len(want.Manifests) {
				t.Fatalf("%q: image %d: %d manifests, protobuf %d", b, i, len(got[i].Manifests), len(want.Manifests))
			}
			assertSameSummary(t, want, got[i])
			if t.Failed() {
				t.Fatalf("the canonical encoding %q of %q: image %d differs", b, data, i)
			}
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
