package plugins

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// sampleSummaries covers every field of the list, with the edge cases of the encoding:
// negative numbers, zone offsets both ways, empty and absent maps and lists, messages
// shorter than 128 bytes and longer than 16 KiB.
func sampleSummaries() []imagesvc.Summary {
	d := func(s string) digest.Digest { return digest.FromString(s) }
	desc := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageIndex, Digest: d("idx"), Size: 1 << 40,
		URLs: []string{"u1", "u2"}, Annotations: map[string]string{"a": "1", "b": ""},
		Data: []byte{0, 1, 2}, Platform: &ocispec.Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0", OSFeatures: []string{"win32k"}},
		ArtifactType: "x",
	}
	many := make([]imagesvc.ManifestSummary, 200)
	for i := range many {
		many[i] = imagesvc.ManifestSummary{
			ID: d(fmt.Sprint("m", i)), Descriptor: desc, Available: i%2 == 0,
			Size: imagesvc.ManifestSize{Content: int64(i), Total: int64(2 * i)}, Kind: imagesvc.KindImage,
			ImageData: &imagesvc.ImageData{
				Platform:   ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"},
				Identity:   &imagesvc.Identity{Pull: []imagesvc.PullIdentity{{Repository: "r"}}, Build: []imagesvc.BuildIdentity{{Ref: "b", CreatedAt: time.Unix(5, 6).In(time.FixedZone("", -5*3600))}}},
				Unpacked:   7,
				Containers: []string{"c"},
			},
		}
	}
	many[1] = imagesvc.ManifestSummary{ID: d("att"), Kind: imagesvc.KindAttestation, AttestationData: &imagesvc.AttestationData{For: d("m0")}}
	many[2] = imagesvc.ManifestSummary{Kind: imagesvc.KindUnknown}
	return []imagesvc.Summary{
		{ID: d("empty"), RepoTags: []string{}, RepoDigests: []string{}, SharedSize: -1},
		{
			ID: d("full"), ParentID: d("parent"), RepoTags: []string{"a:1", "b:2", strings.Repeat("x", 300)},
			RepoDigests: []string{"a@" + d("full").String()}, Created: time.Date(2001, 2, 3, 4, 5, 6, 7, time.FixedZone("", 3600+1800)),
			Size: -5, SharedSize: 1234567, Labels: map[string]string{"k": "v", "": "empty key", "e": ""}, Containers: 3,
			Descriptor: desc, Manifests: many,
		},
		{ID: d("labels-empty"), RepoTags: []string{}, RepoDigests: []string{}, Labels: map[string]string{}, Manifests: []imagesvc.ManifestSummary{}},
		{ID: d("old"), RepoTags: []string{"old:1"}, RepoDigests: []string{}, Created: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)},
		{ID: d("same-labels-1"), RepoTags: []string{}, RepoDigests: []string{}, Labels: map[string]string{"k": "v"}},
		{ID: d("same-labels-2"), RepoTags: []string{}, RepoDigests: []string{}, Labels: map[string]string{"k": "v"}},
	}
}

// The hand-written encoder writes what the generated code reads, and the hand-written
// decoder reads what the generated code writes.
func TestFastListMatchesGeneratedCode(t *testing.T) {
	var sums []imagesvc.Summary
	for range 10 { // several messages' worth
		sums = append(sums, sampleSummaries()...)
	}

	// Fast encoder -> generated decoder -> slow conversion.
	var images []*pb.Summary
	var chunks []string
	require.NoError(t, encodeList(sums, "etag-1", func(e encodedList) error {
		b := *e.buf
		var resp pb.ListResponse
		if err := proto.Unmarshal(b, &resp); err != nil {
			return err
		}
		if len(chunks) == 0 {
			assert.Equal(t, uint32(len(sums)), resp.Total)
			assert.Equal(t, "etag-1", resp.Etag, "the etag is in the first message")
		} else {
			assert.Empty(t, resp.Etag)
		}
		assert.False(t, resp.NotModified)
		images = append(images, resp.Images...)
		chunks = append(chunks, string(b))
		return nil
	}))
	require.Len(t, images, len(sums))
	require.Greater(t, len(chunks), 1)
	for i, m := range images {
		var got imagesvc.Summary
		decodeSummary(m, &got)
		assertSameSummary(t, sums[i], got)
	}

	// Slow conversion -> generated encoder -> fast decoder, the etag last on the wire.
	slow := &pb.ListResponse{Etag: "etag-2"}
	for i := range sums {
		slow.Images = append(slow.Images, encodeSummary(&sums[i]))
	}
	b, err := proto.Marshal(slow)
	require.NoError(t, err)
	var sl listDecoder
	require.NoError(t, sl.add(string(b)))
	got, err := sl.finish()
	require.NoError(t, err)
	assert.Equal(t, "etag-2", sl.etag)
	assert.False(t, sl.notModified)
	require.Len(t, got, len(sums))
	for i := range sums {
		assertSameSummary(t, sums[i], got[i])
	}

	// Fast both ways, in several messages.
	var l listDecoder
	for _, c := range chunks {
		require.NoError(t, l.add(c))
	}
	got, err = l.finish()
	require.NoError(t, err)
	assert.Equal(t, "etag-1", l.etag)
	assert.Equal(t, len(chunks), l.messages)
	require.Len(t, got, len(sums))
	for i := range sums {
		assertSameSummary(t, sums[i], got[i])
	}
	// Every summary owns its label map, even when equal to another's.
	got[4].Labels["k"] = "changed"
	assert.Equal(t, "v", got[10].Labels["k"])
	assert.Equal(t, "v", got[5].Labels["k"])
	// Appending to one image's names does not touch the next image's.
	got[3].RepoTags = append(got[3].RepoTags, "new:1")
	assert.Empty(t, got[4].RepoTags)
}

func assertSameSummary(t *testing.T, want, got imagesvc.Summary) {
	t.Helper()
	assert.True(t, want.Created.Equal(got.Created), "Created %v, want %v", got.Created, want.Created)
	_, wo := want.Created.Zone()
	_, gotOff := got.Created.Zone()
	assert.Equal(t, wo, gotOff)
	for i := range want.Manifests {
		if id := want.Manifests[i].ImageData; id != nil && id.Identity != nil {
			for j, b := range id.Identity.Build {
				gb := got.Manifests[i].ImageData.Identity.Build[j]
				assert.True(t, b.CreatedAt.Equal(gb.CreatedAt))
				gb.CreatedAt = b.CreatedAt
				got.Manifests[i].ImageData.Identity.Build[j] = gb
			}
		}
	}
	want.Created, got.Created = time.Time{}, time.Time{}
	assert.Equal(t, want, got)
}

// The other answers of a conditional list: an empty list with an etag, without one, and
// not modified, both ways against the generated code.
func TestFastListConditionalMatchesGeneratedCode(t *testing.T) {
	// Fast encoder -> generated decoder.
	var msgs []*pb.ListResponse
	collect := func(e encodedList) error {
		var resp pb.ListResponse
		if err := proto.Unmarshal(*e.buf, &resp); err != nil {
			return err
		}
		msgs = append(msgs, &resp)
		return nil
	}
	require.NoError(t, encodeList(nil, "", collect))
	assert.Empty(t, msgs, "an empty list without an etag is no message")
	require.NoError(t, encodeList(nil, "e", collect))
	require.Len(t, msgs, 1)
	assert.True(t, proto.Equal(&pb.ListResponse{Etag: "e"}, msgs[0]), "%v", msgs[0])
	msgs = nil
	require.NoError(t, collect(encodeNotModified("e")))
	require.Len(t, msgs, 1)
	assert.True(t, proto.Equal(&pb.ListResponse{Etag: "e", NotModified: true}, msgs[0]), "%v", msgs[0])

	// Generated encoder -> fast decoder.
	for _, m := range []*pb.ListResponse{
		{Etag: "e", NotModified: true},
		{NotModified: true},
		{Etag: "e"},
	} {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		var l listDecoder
		require.NoError(t, l.add(string(b)))
		got, err := l.finish()
		require.NoError(t, err)
		assert.Empty(t, got)
		assert.Equal(t, m.Etag, l.etag)
		assert.Equal(t, m.NotModified, l.notModified)
		assert.Equal(t, 1, l.messages)
	}

	// The fields of the request cross as the generated code writes them.
	req := &pb.ListRequest{All: true, Filters: `{"label":{"a":true}}`, IfNoneMatch: "e"}
	b, err := proto.Marshal(req)
	require.NoError(t, err)
	var back pb.ListRequest
	require.NoError(t, proto.Unmarshal(b, &back))
	assert.Equal(t, "e", back.GetIfNoneMatch())
}

// A total that does not match the images is only a hint.
func TestFastListWrongTotal(t *testing.T) {
	sums := benchSummaries(3000)
	for _, total := range []uint32{1, 2000, 5000} {
		var l listDecoder
		for i := 0; i < len(sums); i += 700 {
			resp := &pb.ListResponse{}
			if i == 0 {
				resp.Total = total
			}
			for j := i; j < min(i+700, len(sums)); j++ {
				resp.Images = append(resp.Images, encodeSummary(&sums[j]))
			}
			b, err := proto.Marshal(resp)
			require.NoError(t, err)
			require.NoError(t, l.add(string(b)))
		}
		got, err := l.finish()
		require.NoError(t, err)
		require.Len(t, got, len(sums), "total %d", total)
		for i := range sums {
			assert.Equal(t, sums[i].ID, got[i].ID, "total %d, image %d", total, i)
		}
	}
}

func TestFastListRejectsGarbage(t *testing.T) {
	for _, s := range []string{"\x0a", "\x0a\x05ab", "\x0a\x02\x0a\x09", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "\x0b",
		"\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", // a varint of 65 bits
		"\x80\x80\x80\x80\x10\x00",                     // field number 2^29, past the largest
		"\x0e", "\x0f",                                 // wire types 6 and 7
	} {
		_, err := decodeList(s)
		assert.Error(t, err, "%q", s)
		assert.Error(t, proto.Unmarshal([]byte(s), new(pb.ListResponse)), "%q: protobuf refuses it too", s)
	}
	// A group, which protobuf would skip as an unknown field, nested in an image.
	_, err := decodeList("\x0a\x02\x1b\x1c")
	assert.ErrorIs(t, err, errGroup)
	got, err := decodeList("")
	require.NoError(t, err)
	assert.NotNil(t, got)
	assert.Empty(t, got)
}

func BenchmarkEncodeList10k(b *testing.B) {
	sums := benchSummaries(10_000)
	b.ReportAllocs()
	for b.Loop() {
		_ = encodeList(sums, "", func(e encodedList) error { listPool.Put(e.buf); return nil })
	}
}

func BenchmarkDecodeList10k(b *testing.B) {
	var chunks []string
	_ = encodeList(benchSummaries(10_000), "", func(e encodedList) error { chunks = append(chunks, string(*e.buf)); return nil })
	b.ReportAllocs()
	for b.Loop() {
		var l listDecoder
		for _, c := range chunks {
			if err := l.add(c); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := l.finish(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSummaries(n int) []imagesvc.Summary {
	out := make([]imagesvc.Summary, n)
	for i := range out {
		id := digest.FromString(fmt.Sprint(i))
		out[i] = imagesvc.Summary{
			ID: id, RepoTags: []string{fmt.Sprintf("example.com/r%04d/app:v1", i), fmt.Sprintf("example.com/r%04d/app:latest", i)},
			RepoDigests: []string{fmt.Sprintf("example.com/r%04d/app@%s", i, id)},
			Created:     time.Unix(int64(1700000000+i), 0).UTC(), Size: 1234567, SharedSize: -1,
			Labels:     map[string]string{"com.example.quarter": fmt.Sprint(i % 4), "org.opencontainers.image.source": "https://example.com/src"},
			Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: id, Size: 1000},
		}
	}
	return out
}

// A first message that claims a huge total in a tiny body costs what its bytes can hold,
// not what it claims: the total is 1<<24 images in a 4-byte varint, 2^32-1 in a 5-byte
// one, which preallocated would be gigabytes.
func TestFastListHugeTotalTinyBody(t *testing.T) {
	for _, total := range []uint64{1 << 24, 1<<32 - 1} {
		head := string(protowire.AppendVarint([]byte{0x10}, total)) // total = 2
		allocated := func(f func()) uint64 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			f()
			runtime.ReadMemStats(&after)
			return after.TotalAlloc - before.TotalAlloc
		}

		// A valid message of one empty image: decoded, and the total only a hint.
		var got []imagesvc.Summary
		var err error
		n := allocated(func() { got, err = decodeList(head + "\x0a\x00") })
		require.NoError(t, err)
		assert.Len(t, got, 1)
		assert.Less(t, n, uint64(1<<20), "total %d: allocated %d bytes for a %d-byte message", total, n, len(head)+2)

		// The same head, then a malformed second message: an error, as cheaply.
		n = allocated(func() {
			var l listDecoder
			require.NoError(t, l.add(head+"\x0a\x00"))
			assert.ErrorIs(t, l.add("\x0a\x05ab"), errMalformed)
			_, err = l.finish()
		})
		require.NoError(t, err, "the malformed message was refused by add; the list so far stands")
		assert.Less(t, n, uint64(1<<20), "total %d: allocated %d bytes", total, n)

		// And a first message that claims the total but is itself malformed.
		_, err = decodeList(head + "\x0a\x05ab")
		assert.ErrorIs(t, err, errMalformed)
	}
}
