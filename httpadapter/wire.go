package httpadapter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// The wire types below have Docker's JSON keys, in Docker's order (Go struct order, which
// is the key order of answers that do not go through the compatibility wrapper).

// summary is ImageSummary (api/types/image.Summary) for API 1.44 and later.
type summary struct {
	Containers  int64               `json:"Containers"`
	Created     int64               `json:"Created"`
	ID          string              `json:"Id"`
	Labels      map[string]string   `json:"Labels"`
	ParentID    string              `json:"ParentId"`
	Descriptor  *ocispec.Descriptor `json:"Descriptor,omitempty"`
	Manifests   []manifestSummary   `json:"Manifests,omitempty"`
	RepoDigests []string            `json:"RepoDigests"`
	RepoTags    []string            `json:"RepoTags"`
	SharedSize  int64               `json:"SharedSize"`
	Size        int64               `json:"Size"`
}

// legacySummary is ImageSummary below API 1.44, as Docker's compatibility wrapper writes
// it: VirtualSize added and the keys in alphabetical order. (Descriptor and Manifests do
// not exist below 1.47.)
type legacySummary struct {
	Containers  int64             `json:"Containers"`
	Created     int64             `json:"Created"`
	ID          string            `json:"Id"`
	Labels      map[string]string `json:"Labels"`
	ParentID    string            `json:"ParentId"`
	RepoDigests []string          `json:"RepoDigests"`
	RepoTags    []string          `json:"RepoTags"`
	SharedSize  int64             `json:"SharedSize"`
	Size        int64             `json:"Size"`
	VirtualSize int64             `json:"VirtualSize"`
}

// manifestSummary is ImageManifestSummary (api/types/image.ManifestSummary).
type manifestSummary struct {
	ID              string             `json:"ID"`
	Descriptor      ocispec.Descriptor `json:"Descriptor"`
	Available       bool               `json:"Available"`
	Size            manifestSize       `json:"Size"`
	Kind            string             `json:"Kind"`
	ImageData       *imageData         `json:"ImageData,omitempty"`
	AttestationData *attestationData   `json:"AttestationData,omitempty"`
}

type manifestSize struct {
	Content int64 `json:"Content"`
	Total   int64 `json:"Total"`
}

type imageData struct {
	Platform   ocispec.Platform `json:"Platform"`
	Identity   *identity        `json:"Identity,omitempty"`
	Size       unpackedSize     `json:"Size"`
	Containers []string         `json:"Containers"`
}

type unpackedSize struct {
	Unpacked int64 `json:"Unpacked"`
}

type attestationData struct {
	For string `json:"For"`
}

// identity is api/types/image.Identity (API 1.53+).
type identity struct {
	Pull  []pullIdentity  `json:"Pull,omitzero"`
	Build []buildIdentity `json:"Build,omitzero"`
}

type pullIdentity struct {
	Repository string `json:"Repository,omitempty"`
}

type buildIdentity struct {
	Ref       string    `json:"Ref,omitempty"`
	CreatedAt time.Time `json:"CreatedAt"`
}

// inspect is ImageInspect (api/types/image.InspectResponse) for API 1.52 and later.
type inspect struct {
	ID           string               `json:"Id"`
	RepoTags     []string             `json:"RepoTags"`
	RepoDigests  []string             `json:"RepoDigests"`
	Comment      string               `json:"Comment,omitempty"`
	Created      string               `json:"Created,omitempty"`
	Author       string               `json:"Author,omitempty"`
	Config       imagesvc.ImageConfig `json:"Config"`
	Architecture string               `json:"Architecture"`
	Variant      string               `json:"Variant,omitempty"`
	Os           string               `json:"Os"`
	OsVersion    string               `json:"OsVersion,omitempty"`
	Size         int64                `json:"Size"`
	GraphDriver  *driverData          `json:"GraphDriver,omitempty"`
	RootFS       rootFS               `json:"RootFS"`
	Metadata     metadata             `json:"Metadata"`
	Descriptor   *ocispec.Descriptor  `json:"Descriptor,omitempty"`
	Manifests    []manifestSummary    `json:"Manifests,omitempty"`
	Identity     *identity            `json:"Identity,omitempty"`
}

type driverData struct {
	Data map[string]string `json:"Data"`
	Name string            `json:"Name"`
}

type rootFS struct {
	Type   string   `json:"Type,omitempty"`
	Layers []string `json:"Layers,omitempty"`
}

type metadata struct {
	LastTagTime time.Time `json:"LastTagTime"`
}

// toManifests converts manifest summaries. withIdentity keeps ImageData.Identity.
func toManifests(in []imagesvc.ManifestSummary, withIdentity bool) []manifestSummary {
	if len(in) == 0 {
		return nil
	}
	out := make([]manifestSummary, len(in))
	for i := range in {
		m := &in[i]
		o := &out[i]
		o.ID = m.ID.String()
		o.Descriptor = m.Descriptor
		o.Available = m.Available
		o.Size = manifestSize{Content: m.Size.Content, Total: m.Size.Total}
		o.Kind = string(m.Kind)
		if o.Kind == "" {
			o.Kind = string(imagesvc.KindUnknown)
		}
		switch {
		case m.ImageData != nil:
			d := &imageData{
				Platform:   m.ImageData.Platform,
				Size:       unpackedSize{Unpacked: m.ImageData.Unpacked},
				Containers: m.ImageData.Containers,
			}
			if withIdentity {
				d.Identity = toIdentity(m.ImageData.Identity)
			}
			o.ImageData = d
		case m.Kind == imagesvc.KindImage:
			// The docker CLI dereferences ImageData of every image manifest.
			o.ImageData = &imageData{}
		}
		switch {
		case m.AttestationData != nil:
			o.AttestationData = &attestationData{For: m.AttestationData.For.String()}
		case m.Kind == imagesvc.KindAttestation:
			// The docker CLI dereferences AttestationData of every attestation manifest.
			o.AttestationData = &attestationData{}
		}
	}
	return out
}

func toIdentity(in *imagesvc.Identity) *identity {
	if in == nil {
		return nil
	}
	out := &identity{}
	for _, p := range in.Pull {
		out.Pull = append(out.Pull, pullIdentity(p))
	}
	for _, b := range in.Build {
		out.Build = append(out.Build, buildIdentity(b))
	}
	return out
}

// descriptorPtr returns d, or nil for the zero descriptor. The result points into d's
// owner, which the adapter never modifies.
func descriptorPtr(d *ocispec.Descriptor) *ocispec.Descriptor {
	if d.Digest == "" && d.MediaType == "" {
		return nil
	}
	return d
}

// nonNil returns s, or an empty slice when s is nil.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// The list's encoder. A list of 10,000 images is about 5 MB of JSON; encoding/json's
// reflection over the wire types costs several times what sending those bytes does, so
// the summaries are written by hand, byte for byte as encoding/json writes them with HTML
// escaping off (TestSummaryJSONMatchesEncodingJSON holds the two together). The parts
// that are rare in a list (a descriptor with more than its media type, digest and size;
// manifests) go through encoding/json.

// appendJSON appends s as encoding/json writes it.
func (s *summary) appendJSON(b []byte) []byte {
	b = append(b, `{"Containers":`...)
	b = strconv.AppendInt(b, s.Containers, 10)
	b = append(b, `,"Created":`...)
	b = strconv.AppendInt(b, s.Created, 10)
	b = append(b, `,"Id":`...)
	b = appendString(b, s.ID)
	b = append(b, `,"Labels":`...)
	b = appendStringMap(b, s.Labels)
	b = append(b, `,"ParentId":`...)
	b = appendString(b, s.ParentID)
	if s.Descriptor != nil {
		b = append(b, `,"Descriptor":`...)
		b = appendDescriptor(b, s.Descriptor)
	}
	if len(s.Manifests) > 0 {
		b = append(b, `,"Manifests":`...)
		b = appendValue(b, s.Manifests)
	}
	b = append(b, `,"RepoDigests":`...)
	b = appendStrings(b, s.RepoDigests)
	b = append(b, `,"RepoTags":`...)
	b = appendStrings(b, s.RepoTags)
	b = append(b, `,"SharedSize":`...)
	b = strconv.AppendInt(b, s.SharedSize, 10)
	b = append(b, `,"Size":`...)
	b = strconv.AppendInt(b, s.Size, 10)
	return append(b, '}')
}

// appendJSON appends s as encoding/json writes it.
func (s *legacySummary) appendJSON(b []byte) []byte {
	b = append(b, `{"Containers":`...)
	b = strconv.AppendInt(b, s.Containers, 10)
	b = append(b, `,"Created":`...)
	b = strconv.AppendInt(b, s.Created, 10)
	b = append(b, `,"Id":`...)
	b = appendString(b, s.ID)
	b = append(b, `,"Labels":`...)
	b = appendStringMap(b, s.Labels)
	b = append(b, `,"ParentId":`...)
	b = appendString(b, s.ParentID)
	b = append(b, `,"RepoDigests":`...)
	b = appendStrings(b, s.RepoDigests)
	b = append(b, `,"RepoTags":`...)
	b = appendStrings(b, s.RepoTags)
	b = append(b, `,"SharedSize":`...)
	b = strconv.AppendInt(b, s.SharedSize, 10)
	b = append(b, `,"Size":`...)
	b = strconv.AppendInt(b, s.Size, 10)
	b = append(b, `,"VirtualSize":`...)
	b = strconv.AppendInt(b, s.VirtualSize, 10)
	return append(b, '}')
}

// appendDescriptor appends d as encoding/json writes it.
func appendDescriptor(b []byte, d *ocispec.Descriptor) []byte {
	if len(d.URLs) > 0 || len(d.Annotations) > 0 || len(d.Data) > 0 || d.Platform != nil || d.ArtifactType != "" {
		return appendValue(b, d)
	}
	b = append(b, `{"mediaType":`...)
	b = appendString(b, d.MediaType)
	b = append(b, `,"digest":`...)
	b = appendString(b, string(d.Digest))
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, d.Size, 10)
	return append(b, '}')
}

// appendStrings appends a JSON array of strings; null for nil.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendStringMap appends m as a JSON object with its keys sorted, as encoding/json
// writes a map; null for nil.
func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

// appendValue appends v as encoding/json writes it with HTML escaping off. v never fails
// to encode (the wire types have no channels, functions or cycles).
func appendValue(b []byte, v any) []byte {
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("httpadapter: encoding %T: %v", v, err))
	}
	b = buf.Bytes()
	return b[:len(b)-1] // Encode's newline
}

const hexDigits = "0123456789abcdef"

// plainASCII tells the ASCII bytes a JSON string holds as they are (encoding/json's
// safeSet): all but '"', '\\' and control characters below 0x20.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string, escaped as encoding/json escapes it with HTML
// escaping off: '"', '\\' and control characters escaped, invalid UTF-8 replaced by
// U+FFFD, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
