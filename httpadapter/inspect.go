package httpadapter

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/imageapi/imageapi/imagesvc"
)

// platformKey encodes the platform option of an inspect for its tag.
func platformKey(opts imagesvc.InspectOptions) string {
	p := opts.Platform
	if p == nil {
		return ""
	}
	b, _ := json.Marshal(p) // a platform always encodes
	return string(b)
}

// inspect serves GET /images/{name}/json.
func (h *handler) inspect(w http.ResponseWriter, r *http.Request, version, name string) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	var opts imagesvc.InspectOptions
	if v := q.Get("manifests"); v != "" && versionAtLeast(version, "1.48") {
		opts.Manifests = parseBool(v)
	}
	if v := q.Get("platform"); v != "" && versionAtLeast(version, "1.49") {
		if opts.Platform, err = parsePlatformJSON(v); err != nil {
			return err
		}
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	ref, err := imagesvc.ParseImageRef(name)
	if err != nil {
		return err
	}
	// The same version covers inspect: it reads the catalog the lists read, and the
	// containers of its manifests come from the same usage provider.
	t := h.newTagger(r.Context(), "inspect", version, ref.String(), flags(opts.Manifests),
		platformKey(opts))
	if notModified(w, r, t.tag(), false) {
		return nil
	}
	img, err := h.svc.Inspect(r.Context(), ref, opts)
	if err != nil {
		return err
	}
	if t.answered(r.Context(), w, r) {
		return nil
	}

	out := &inspect{
		ID:           img.ID.String(),
		RepoTags:     nonNil(img.RepoTags),
		RepoDigests:  nonNil(img.RepoDigests),
		Comment:      img.Comment,
		Author:       img.Author,
		Config:       img.Config,
		Architecture: img.Architecture,
		Variant:      img.Variant,
		Os:           img.OS,
		OsVersion:    img.OSVersion,
		Size:         img.Size,
		RootFS:       rootFS{Type: img.RootFS.Type},
		Metadata:     metadata{LastTagTime: img.LastTagTime},
	}
	if !img.Created.IsZero() {
		out.Created = img.Created.Format(time.RFC3339Nano)
	}
	for _, l := range img.RootFS.Layers {
		out.RootFS.Layers = append(out.RootFS.Layers, l.String())
	}
	if versionAtLeast(version, "1.48") {
		out.Descriptor = descriptorPtr(&img.Descriptor)
	}
	withIdentity := versionAtLeast(version, "1.53")
	if opts.Manifests {
		out.Manifests = toManifests(img.Manifests, withIdentity)
	}
	if withIdentity {
		out.Identity = toIdentity(img.Identity)
	}

	extras := legacyInspectFields(out, img, version)
	if extras == nil {
		return writeJSON(w, http.StatusOK, out)
	}
	wrapped, err := compatWrap(out, extras)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wrapped)
}

// legacyConfigBelow150 are the Config keys that API versions below 1.50 always carry.
func legacyConfigBelow150() map[string]any {
	return map[string]any{
		"AttachStderr": false,
		"AttachStdin":  false,
		"AttachStdout": false,
		"Cmd":          nil,
		"Domainname":   "",
		"Entrypoint":   nil,
		"Env":          nil,
		"Hostname":     "",
		"Image":        "",
		"Labels":       nil,
		"OnBuild":      nil,
		"OpenStdin":    false,
		"StdinOnce":    false,
		"Tty":          false,
		"User":         "",
		"Volumes":      nil,
		"WorkingDir":   "",
	}
}

// legacyConfig150 are the Config keys that API versions 1.50 and 1.51 always carry.
func legacyConfig150() map[string]any {
	return map[string]any{
		"Cmd":        nil,
		"Entrypoint": nil,
		"Env":        nil,
		"Labels":     nil,
		"OnBuild":    nil,
		"User":       "",
		"Volumes":    nil,
		"WorkingDir": "",
	}
}

// legacyInspectFields adjusts out for version and returns the fields that Docker's route
// adds through its compatibility wrapper, or nil when the answer needs none (spec §3.3).
func legacyInspectFields(out *inspect, img *imagesvc.Image, version string) map[string]any {
	var extras map[string]any
	add := func(k string, v any) {
		if extras == nil {
			extras = map[string]any{}
		}
		extras[k] = v
	}
	if versionLess(version, "1.44") {
		add("VirtualSize", img.Size)
		if out.Created == "" {
			out.Created = time.Time{}.Format(time.RFC3339Nano)
		}
	}
	if versionLess(version, "1.45") {
		add("Container", "")
		add("ContainerConfig", nil)
	}
	if versionLess(version, "1.52") {
		add("Parent", img.Parent.String())
		add("Comment", img.Comment)
		add("DockerVersion", img.DockerVersion)
		add("Author", img.Author)
		if versionLess(version, "1.50") {
			add("Config", legacyConfigBelow150())
		} else {
			add("Config", legacyConfig150())
		}
		out.GraphDriver = &driverData{Name: img.Driver}
	} else {
		if img.Parent != "" {
			add("Parent", img.Parent.String())
		}
		if img.DockerVersion != "" {
			add("DockerVersion", img.DockerVersion)
		}
	}
	return extras
}

// compatWrap renders v the way Docker's compat.Wrap does: v is encoded, decoded into
// maps, and the extra fields are merged where a key is missing or null (recursively for
// objects). The result encodes with every object's keys in alphabetical order.
func compatWrap(v any, extras map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	mergeMissing(m, extras)
	return m, nil
}

// mergeMissing adds the entries of extras to dst where dst lacks the key or holds null,
// and merges nested objects.
func mergeMissing(dst, extras map[string]any) {
	for k, v := range extras {
		cur, ok := dst[k]
		if !ok || cur == nil {
			dst[k] = v
			continue
		}
		if curMap, ok := cur.(map[string]any); ok {
			if extraMap, ok := v.(map[string]any); ok {
				mergeMissing(curMap, extraMap)
			}
		}
	}
}
