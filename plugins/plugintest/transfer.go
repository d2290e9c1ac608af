package plugintest

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

var (
	_ imagesvc.Saver  = (*MemService)(nil)
	_ imagesvc.Loader = (*MemService)(nil)
	_ imagesvc.Pusher = (*MemService)(nil)
)

// memSaved is one image in a MemService archive.
type memSaved struct {
	Name  string         `json:"name,omitempty"`
	Image imagesvc.Image `json:"image"`
}

// Save implements [imagesvc.Saver] with an archive of MemService's own shape, not
// Docker's: a tar with one JSON entry "images/<n>.json" per name, the name kept when it is
// a tagged name, plus, for each platform of req.Platforms, an entry "platforms/<n>" (to
// see them cross). Every name is resolved before the first byte is written.
func (m *MemService) Save(ctx context.Context, req imagesvc.SaveRequest, w io.Writer) error {
	var saved []memSaved
	m.mu.Lock()
	for _, ref := range req.Refs {
		img, err := m.findLocked(ref)
		if err != nil {
			m.mu.Unlock()
			return err
		}
		s := memSaved{Image: cloneImage(img)}
		if n := ref.Named(); n != nil && ref.Digest() == "" {
			s.Name = reference.FamiliarString(ref.Tagged())
		}
		saved = append(saved, s)
	}
	m.mu.Unlock()
	tw := tar.NewWriter(w)
	for i, s := range saved {
		data, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if err := writeEntry(tw, fmt.Sprintf("images/%d.json", i), data); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	for i, p := range req.Platforms {
		if err := writeEntry(tw, fmt.Sprintf("platforms/%d", i), []byte(imagesvc.FormatPlatform(p))); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeEntry(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// Load implements [imagesvc.Loader] for archives of [MemService.Save]: each images/*.json
// entry is stored (its name moved to it); other entries are read and ignored, whatever
// their size. An archive without images is "unrecognized image format" (InvalidArgument),
// as is one that is not a tar. With req.Platforms, the images are loaded, then an image
// whose platform is not among them fails the load with class NotFound, the images
// returned with the error (as Docker's check after the import).
func (m *MemService) Load(ctx context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
	if req.Source == nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("load: no archive")
	}
	tr := tar.NewReader(&ctxReader{ctx: ctx, r: req.Source})
	var saved []memSaved
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errdefs.Resolve(err) != errdefs.ErrUnknown {
				return nil, err // the host's reader failed: its class
			}
			return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		if !strings.HasPrefix(h.Name, "images/") {
			if _, err := io.Copy(io.Discard, tr); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
			}
			continue
		}
		var s memSaved
		if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&s); err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("load: %s: %v", h.Name, err))
		}
		saved = append(saved, s)
	}
	if len(saved) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("unrecognized image format")
	}
	out := make([]imagesvc.LoadedImage, len(saved))
	var lacking []string
	m.mu.Lock()
	for i, s := range saved {
		img := s.Image
		if m.indexLocked(img.ID) < 0 {
			img.RepoTags = []string{}
			m.images = append([]imagesvc.Image{img}, m.images...)
		}
		if s.Name != "" {
			m.setNameLocked(s.Name, img.ID)
		}
		out[i] = imagesvc.LoadedImage{Name: s.Name, ID: img.ID}
		if len(req.Platforms) > 0 && !hasAnyPlatform(&img, req.Platforms) {
			lacking = append(lacking, s.Name)
		}
	}
	m.version++
	m.mu.Unlock()
	if len(lacking) > 0 {
		return out, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("images %v were loaded, but don't provide the requested platform", lacking))
	}
	return out, nil
}

func hasAnyPlatform(img *imagesvc.Image, ps []ocispec.Platform) bool {
	for _, p := range ps {
		if p.OS == img.OS && p.Architecture == img.Architecture {
			return true
		}
	}
	return false
}

// Push implements [imagesvc.Pusher] against the made-up registry of Pull: it reports
// the start, one pushed layer and the final digest of the image req.Ref names (with
// ":latest" when it has neither tag nor digest). Credentials, when given, must be those
// Login accepts: others fail after the start with class Unauthenticated. With
// req.Platform other than the image's, an aux record says the content is missing and the
// push fails with class NotFound.
func (m *MemService) Push(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
	if req.Ref == nil {
		return errdefs.ErrInvalidArgument.WithMessage("no reference to push")
	}
	progress.Report(imagesvc.PushRefersTo(req.Ref))
	if err := ctx.Err(); err != nil {
		return err
	}
	if a := req.Auth; a != nil && !(a.Username == MemUser && a.Password == MemPassword) && a.IdentityToken != MemIdentityToken {
		return errdefs.ErrUnauthenticated.WithMessage("push access denied, repository does not exist or may require authorization: authorization failed")
	}
	ref, err := imagesvc.ParseImageRef(req.Ref.String())
	if err != nil {
		return err
	}
	m.mu.Lock()
	img, err := m.findLocked(ref)
	var c imagesvc.Image
	if err == nil {
		c = cloneImage(img)
	}
	m.mu.Unlock()
	if err != nil {
		return errdefs.ErrNotFound.WithMessage("tag does not exist: " + reference.FamiliarString(ref.Tagged()))
	}
	if p := req.Platform; p != nil && (p.OS != c.OS || p.Architecture != c.Architecture) {
		d := c.Descriptor
		progress.Report(imagesvc.ProgressEvent{Aux: &imagesvc.PushAux{ContentMissing: true, Desc: &d}})
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("missing content: image with reference %s was found but does not provide the specified platform (%s)",
			reference.FamiliarString(ref.Tagged()), imagesvc.FormatPlatform(*p)))
	}
	for _, l := range c.RootFS.Layers {
		progress.Report(imagesvc.ProgressEvent{ID: l.Encoded()[:12], Status: imagesvc.StatusPushed, Detail: &imagesvc.ProgressDetail{}})
	}
	tag := "latest"
	if t, ok := reference.TagNameOnly(req.Ref).(reference.Tagged); ok {
		tag = t.Tag()
	}
	progress.Report(imagesvc.PushDigest(tag, c.Descriptor))
	return nil
}
