package httpadapter

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// TestSummaryJSONMatchesEncodingJSON: the list's hand-written encoder writes every
// summary, legacy summary and string byte for byte as encoding/json (HTML escaping off)
// writes the wire types: random summaries with nil and empty slices and maps, strings
// with quotes, backslashes, control characters, HTML characters, invalid UTF-8, U+2028,
// and descriptors and manifests that take the encoding/json path.
func TestSummaryJSONMatchesEncodingJSON(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		img := randomSummary(rnd)
		opts := imagesvc.ListOptions{SharedSize: rnd.IntN(2) == 0, Manifests: rnd.IntN(2) == 0, Identity: rnd.IntN(2) == 0}
		images := []imagesvc.Summary{img, randomSummary(rnd)}
		for _, version := range []string{"1.56", "1.51", "1.48", "1.47", "1.44", "1.43", "1.41"} {
			got := encodeList(images, version, &opts, 0)
			var want []byte
			if versionLess(version, "1.44") {
				var out []legacySummary
				for j := range images {
					out = append(out, toLegacySummary(&images[j], versionLess(version, "1.43"), opts.SharedSize))
				}
				want = encodingJSON(t, out)
			} else {
				var out []summary
				for j := range images {
					out = append(out, toSummary(&images[j], &opts, versionAtLeast(version, "1.48"), versionAtLeast(version, "1.51")))
				}
				want = encodingJSON(t, out)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("case %d, API %s:\ngot:  %s\nwant: %s", i, version, got, want)
			}
		}
	}
	if got, want := encodeList(nil, "1.56", &imagesvc.ListOptions{}, 0), []byte("[]\n"); !bytes.Equal(got, want) {
		t.Fatalf("empty list: %q, want %q", got, want)
	}
}

// encodingJSON is v as the adapter wrote it before (writeJSON).
func encodingJSON(t *testing.T, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func randomString(rnd *rand.Rand) string {
	pieces := []string{"", "a", "alpine:3.20", `"`, `\`, "\n", "\t", "\r", "\b", "\f", "\x00", "\x1f", "\x7f",
		"<", ">", "&", "é", "日本", "\u2028", "\u2029", "\xff", "\xe6\x97", "😀", "/", "@sha256:"}
	var b []byte
	for range rnd.IntN(6) {
		b = append(b, pieces[rnd.IntN(len(pieces))]...)
	}
	return string(b)
}

func randomStrings(rnd *rand.Rand) []string {
	switch rnd.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	var out []string
	for range 1 + rnd.IntN(3) {
		out = append(out, randomString(rnd))
	}
	return out
}

func randomMap(rnd *rand.Rand, max int) map[string]string {
	switch rnd.IntN(4) {
	case 0:
		return nil
	case 1:
		return map[string]string{}
	}
	m := map[string]string{}
	for range rnd.IntN(max) {
		m[randomString(rnd)] = randomString(rnd)
	}
	return m
}

func randomDescriptor(rnd *rand.Rand) ocispec.Descriptor {
	d := ocispec.Descriptor{MediaType: randomString(rnd), Digest: digest.FromString(randomString(rnd)), Size: rnd.Int64N(1 << 40)}
	switch rnd.IntN(8) {
	case 0:
		d = ocispec.Descriptor{}
	case 1:
		d.MediaType = ""
	case 2:
		d.Annotations = randomMap(rnd, 3)
		d.URLs = randomStrings(rnd)
	case 3:
		d.Platform = &ocispec.Platform{OS: "linux", Architecture: randomString(rnd)}
		d.Data = []byte(randomString(rnd))
	case 4:
		d.ArtifactType = randomString(rnd)
	}
	return d
}

func randomSummary(rnd *rand.Rand) imagesvc.Summary {
	s := imagesvc.Summary{
		ID:          digest.FromString(randomString(rnd)),
		RepoTags:    randomStrings(rnd),
		RepoDigests: randomStrings(rnd),
		Size:        rnd.Int64N(1<<40) - 5,
		SharedSize:  rnd.Int64N(1<<30) - 1,
		Labels:      randomMap(rnd, 20),
		Containers:  rnd.Int64N(5) - 1,
		Descriptor:  randomDescriptor(rnd),
	}
	if rnd.IntN(3) == 0 {
		s.ParentID = digest.Digest(randomString(rnd))
	}
	if rnd.IntN(4) != 0 {
		s.Created = time.Unix(rnd.Int64N(2_000_000_000)-1_000_000_000, rnd.Int64N(1e9))
	}
	for range rnd.IntN(3) {
		m := imagesvc.ManifestSummary{ID: digest.FromString(randomString(rnd)), Descriptor: randomDescriptor(rnd),
			Available: rnd.IntN(2) == 0, Kind: []imagesvc.ManifestKind{"", imagesvc.KindImage, imagesvc.KindAttestation, imagesvc.KindUnknown}[rnd.IntN(4)]}
		if m.Kind == imagesvc.KindImage && rnd.IntN(2) == 0 {
			m.ImageData = &imagesvc.ImageData{Platform: ocispec.Platform{OS: "linux"}, Unpacked: rnd.Int64N(100), Containers: randomStrings(rnd),
				Identity: &imagesvc.Identity{Pull: []imagesvc.PullIdentity{{Repository: randomString(rnd)}}}}
		}
		s.Manifests = append(s.Manifests, m)
	}
	return s
}

// BenchmarkEncodeList10k encodes a list of 10,000 summaries (two tags, a label and a
// descriptor each) with the hand encoder and, in the same run, with encoding/json over the
// wire types as the adapter did before.
//
//	go test -run '^$' -bench EncodeList10k -benchmem ./httpadapter/
func BenchmarkEncodeList10k(b *testing.B) {
	images := make([]imagesvc.Summary, 10_000)
	for i := range images {
		id := digest.FromString(strconv.Itoa(i))
		repo := "registry.example.com/team" + strconv.Itoa(i%50) + "/app" + strconv.Itoa(i)
		images[i] = imagesvc.Summary{
			ID: id, RepoTags: []string{repo + ":1.0", repo + ":latest"}, RepoDigests: []string{repo + "@" + id.String()},
			Created: time.Unix(1735689600-int64(i)*60, 0), Size: int64(5_000_000 + i), SharedSize: -1,
			Labels:     map[string]string{"org.opencontainers.image.version": "1.0"},
			Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: id, Size: 1609},
		}
	}
	opts := imagesvc.ListOptions{}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			n = len(encodeList(images, "1.56", &opts, 6<<20))
		}
		b.SetBytes(int64(n))
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			out := make([]summary, len(images))
			for i := range images {
				out[i] = toSummary(&images[i], &opts, true, true)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(out); err != nil {
				b.Fatal(err)
			}
			n = buf.Len()
		}
		b.SetBytes(int64(n))
	})
}
