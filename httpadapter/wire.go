package httpadapter

import (
	"time"

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
