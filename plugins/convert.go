package plugins

import (
	"slices"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// Conversions between the imagesvc values and the protocol's messages. Encoders build
// messages from values; decoders build values from messages and never fail: a peer that
// sends garbage gets garbage back, which the contract's own validation (digests, names)
// then rejects where it matters.

func encodeTime(t time.Time) *pb.Time {
	if t.IsZero() {
		return nil
	}
	_, off := t.Zone()
	return &pb.Time{Seconds: t.Unix(), Nanos: int32(t.Nanosecond()), UtcOffset: int32(off)}
}

func decodeTime(m *pb.Time) time.Time {
	if m == nil {
		return time.Time{}
	}
	t := time.Unix(m.GetSeconds(), int64(m.GetNanos()))
	if off := m.GetUtcOffset(); off != 0 {
		return t.In(time.FixedZone("", int(off)))
	}
	return t.UTC()
}

func encodePlatform(p *ocispec.Platform) *pb.Platform {
	if p == nil {
		return nil
	}
	return &pb.Platform{
		Architecture: p.Architecture,
		Os:           p.OS,
		OsVersion:    p.OSVersion,
		OsFeatures:   p.OSFeatures,
		Variant:      p.Variant,
	}
}

func decodePlatformValue(m *pb.Platform) ocispec.Platform {
	if m == nil {
		return ocispec.Platform{}
	}
	return ocispec.Platform{
		Architecture: m.GetArchitecture(),
		OS:           m.GetOs(),
		OSVersion:    m.GetOsVersion(),
		OSFeatures:   nilIfEmpty(m.GetOsFeatures()),
		Variant:      m.GetVariant(),
	}
}

func decodePlatform(m *pb.Platform) *ocispec.Platform {
	if m == nil {
		return nil
	}
	p := decodePlatformValue(m)
	return &p
}

func encodeDescriptor(d ocispec.Descriptor) *pb.Descriptor {
	return &pb.Descriptor{
		MediaType:    d.MediaType,
		Digest:       string(d.Digest),
		Size:         d.Size,
		Urls:         d.URLs,
		Annotations:  d.Annotations,
		Data:         d.Data,
		Platform:     encodePlatform(d.Platform),
		ArtifactType: d.ArtifactType,
	}
}

func decodeDescriptor(m *pb.Descriptor) ocispec.Descriptor {
	if m == nil {
		return ocispec.Descriptor{}
	}
	return ocispec.Descriptor{
		MediaType:    m.GetMediaType(),
		Digest:       digest.Digest(m.GetDigest()),
		Size:         m.GetSize(),
		URLs:         nilIfEmpty(m.GetUrls()),
		Annotations:  nilIfEmptyMap(m.GetAnnotations()),
		Data:         nilIfEmpty(m.GetData()),
		Platform:     decodePlatform(m.GetPlatform()),
		ArtifactType: m.GetArtifactType(),
	}
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilIfEmptyMap[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}

// nonNil returns s, or an empty slice for nil: for the fields the contract says are never
// nil.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func encodeDigests(ds []digest.Digest) []string {
	if ds == nil {
		return nil
	}
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d)
	}
	return out
}

func decodeDigests(ss []string) []digest.Digest {
	if len(ss) == 0 {
		return nil
	}
	out := make([]digest.Digest, len(ss))
	for i, s := range ss {
		out[i] = digest.Digest(s)
	}
	return out
}

func encodeIdentity(id *imagesvc.Identity) *pb.Identity {
	if id == nil {
		return nil
	}
	m := &pb.Identity{}
	for _, p := range id.Pull {
		m.Pull = append(m.Pull, &pb.PullIdentity{Repository: p.Repository})
	}
	for _, b := range id.Build {
		m.Build = append(m.Build, &pb.BuildIdentity{Ref: b.Ref, CreatedAt: encodeTime(b.CreatedAt)})
	}
	return m
}

func decodeIdentity(m *pb.Identity) *imagesvc.Identity {
	if m == nil {
		return nil
	}
	id := &imagesvc.Identity{}
	for _, p := range m.GetPull() {
		id.Pull = append(id.Pull, imagesvc.PullIdentity{Repository: p.GetRepository()})
	}
	for _, b := range m.GetBuild() {
		id.Build = append(id.Build, imagesvc.BuildIdentity{Ref: b.GetRef(), CreatedAt: decodeTime(b.GetCreatedAt())})
	}
	return id
}

func encodeManifests(ms []imagesvc.ManifestSummary) []*pb.ManifestSummary {
	if ms == nil {
		return nil
	}
	out := make([]*pb.ManifestSummary, len(ms))
	for i := range ms {
		m := &ms[i]
		e := &pb.ManifestSummary{
			Id:          string(m.ID),
			Descriptor_: encodeDescriptor(m.Descriptor),
			Available:   m.Available,
			ContentSize: m.Size.Content,
			TotalSize:   m.Size.Total,
			Kind:        string(m.Kind),
		}
		if d := m.ImageData; d != nil {
			e.ImageData = &pb.ImageData{
				Platform:   encodePlatform(&d.Platform),
				Identity:   encodeIdentity(d.Identity),
				Unpacked:   d.Unpacked,
				Containers: d.Containers,
			}
		}
		if d := m.AttestationData; d != nil {
			e.AttestationData = &pb.AttestationData{For: string(d.For)}
		}
		out[i] = e
	}
	return out
}

// decodeManifests decodes a manifest list; present tells an empty list from none.
func decodeManifests(ms []*pb.ManifestSummary, present bool) []imagesvc.ManifestSummary {
	if len(ms) == 0 {
		if present {
			return []imagesvc.ManifestSummary{}
		}
		return nil
	}
	out := make([]imagesvc.ManifestSummary, len(ms))
	for i, e := range ms {
		m := &out[i]
		m.ID = digest.Digest(e.GetId())
		m.Descriptor = decodeDescriptor(e.GetDescriptor_())
		m.Available = e.GetAvailable()
		m.Size = imagesvc.ManifestSize{Content: e.GetContentSize(), Total: e.GetTotalSize()}
		m.Kind = imagesvc.ManifestKind(e.GetKind())
		if d := e.GetImageData(); d != nil {
			m.ImageData = &imagesvc.ImageData{
				Platform:   decodePlatformValue(d.GetPlatform()),
				Identity:   decodeIdentity(d.GetIdentity()),
				Unpacked:   d.GetUnpacked(),
				Containers: nilIfEmpty(d.GetContainers()),
			}
		}
		if d := e.GetAttestationData(); d != nil {
			m.AttestationData = &imagesvc.AttestationData{For: digest.Digest(d.GetFor())}
		}
	}
	return out
}

func encodeSummary(s *imagesvc.Summary) *pb.Summary {
	m := &pb.Summary{
		Id:           string(s.ID),
		ParentId:     string(s.ParentID),
		RepoTags:     s.RepoTags,
		RepoDigests:  s.RepoDigests,
		Created:      encodeTime(s.Created),
		Size:         s.Size,
		SharedSize:   s.SharedSize,
		Containers:   s.Containers,
		Descriptor_:  encodeDescriptor(s.Descriptor),
		Manifests:    encodeManifests(s.Manifests),
		HasManifests: s.Manifests != nil,
	}
	if s.Labels != nil {
		m.Labels = &pb.StringMap{Values: s.Labels}
	}
	return m
}

func decodeSummary(m *pb.Summary, out *imagesvc.Summary) {
	*out = imagesvc.Summary{
		ID:          digest.Digest(m.GetId()),
		ParentID:    digest.Digest(m.GetParentId()),
		RepoTags:    nonNil(m.GetRepoTags()),
		RepoDigests: nonNil(m.GetRepoDigests()),
		Created:     decodeTime(m.GetCreated()),
		Size:        m.GetSize(),
		SharedSize:  m.GetSharedSize(),
		Containers:  m.GetContainers(),
		Descriptor:  decodeDescriptor(m.GetDescriptor_()),
		Manifests:   decodeManifests(m.GetManifests(), m.GetHasManifests()),
	}
	if l := m.GetLabels(); l != nil {
		out.Labels = l.GetValues()
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
	}
}

func encodeSet(set map[string]struct{}) []string {
	if set == nil {
		return nil
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func decodeSet(keys []string) map[string]struct{} {
	if len(keys) == 0 {
		return nil
	}
	out := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		out[k] = struct{}{}
	}
	return out
}

func encodeConfig(c *imagesvc.ImageConfig) *pb.ImageConfig {
	m := &pb.ImageConfig{
		User:         c.User,
		ExposedPorts: encodeSet(c.ExposedPorts),
		Env:          c.Env,
		Entrypoint:   c.Entrypoint,
		Cmd:          c.Cmd,
		Volumes:      encodeSet(c.Volumes),
		WorkingDir:   c.WorkingDir,
		Labels:       c.Labels,
		StopSignal:   c.StopSignal,
		ArgsEscaped:  c.ArgsEscaped, //nolint:staticcheck // carried as is
		OnBuild:      c.OnBuild,
		Shell:        c.Shell,
		CmdEmpty:     c.Cmd != nil && len(c.Cmd) == 0,
	}
	if h := c.Healthcheck; h != nil {
		m.Healthcheck = &pb.HealthConfig{
			Test:          h.Test,
			Interval:      int64(h.Interval),
			Timeout:       int64(h.Timeout),
			StartPeriod:   int64(h.StartPeriod),
			StartInterval: int64(h.StartInterval),
			Retries:       int64(h.Retries),
		}
	}
	return m
}

func decodeConfig(m *pb.ImageConfig) imagesvc.ImageConfig {
	if m == nil {
		return imagesvc.ImageConfig{}
	}
	c := imagesvc.ImageConfig{
		ImageConfig: ocispec.ImageConfig{
			User:         m.GetUser(),
			ExposedPorts: decodeSet(m.GetExposedPorts()),
			Env:          nilIfEmpty(m.GetEnv()),
			Entrypoint:   nilIfEmpty(m.GetEntrypoint()),
			Cmd:          nilIfEmpty(m.GetCmd()),
			Volumes:      decodeSet(m.GetVolumes()),
			WorkingDir:   m.GetWorkingDir(),
			Labels:       nilIfEmptyMap(m.GetLabels()),
			StopSignal:   m.GetStopSignal(),
			ArgsEscaped:  m.GetArgsEscaped(),
		},
		OnBuild: nilIfEmpty(m.GetOnBuild()),
		Shell:   nilIfEmpty(m.GetShell()),
	}
	if h := m.GetHealthcheck(); h != nil {
		c.Healthcheck = &imagesvc.HealthConfig{
			Test:          nilIfEmpty(h.GetTest()),
			Interval:      time.Duration(h.GetInterval()),
			Timeout:       time.Duration(h.GetTimeout()),
			StartPeriod:   time.Duration(h.GetStartPeriod()),
			StartInterval: time.Duration(h.GetStartInterval()),
			Retries:       int(h.GetRetries()),
		}
	}
	if m.GetCmdEmpty() && c.Cmd == nil {
		c.Cmd = []string{}
	}
	return c
}

// encodeChanges puts changes in an import header: the typed result, parsed once here,
// and the instructions as given for plugins that predate changes_config.
func encodeChanges(h *pb.ImportHeader, c imagesvc.Changes) {
	h.Changes = c.Lines()
	if c.Len() > 0 {
		cfg := c.Config()
		h.ChangesConfig = encodeConfig(&cfg)
	}
}

// decodeChanges reads the changes of an import header: the typed config when the host
// sent one, else the instructions of an older host, parsed here.
func decodeChanges(h *pb.ImportHeader) (imagesvc.Changes, error) {
	if m := h.GetChangesConfig(); m != nil {
		return imagesvc.ChangesFromConfig(decodeConfig(m)), nil
	}
	return imagesvc.ParseChanges(h.GetChanges())
}

func encodeImage(img *imagesvc.Image) *pb.Image {
	return &pb.Image{
		Id:            string(img.ID),
		RepoTags:      img.RepoTags,
		RepoDigests:   img.RepoDigests,
		Parent:        string(img.Parent),
		Comment:       img.Comment,
		Created:       encodeTime(img.Created),
		DockerVersion: img.DockerVersion,
		Author:        img.Author,
		Config:        encodeConfig(&img.Config),
		Architecture:  img.Architecture,
		Variant:       img.Variant,
		Os:            img.OS,
		OsVersion:     img.OSVersion,
		Size:          img.Size,
		Driver:        img.Driver,
		RootFs:        &pb.RootFS{Type: img.RootFS.Type, Layers: encodeDigests(img.RootFS.Layers)},
		LastTagTime:   encodeTime(img.LastTagTime),
		Descriptor_:   encodeDescriptor(img.Descriptor),
		Manifests:     encodeManifests(img.Manifests),
		HasManifests:  img.Manifests != nil,
		Identity:      encodeIdentity(img.Identity),
	}
}

func decodeImage(m *pb.Image) *imagesvc.Image {
	return &imagesvc.Image{
		ID:            digest.Digest(m.GetId()),
		RepoTags:      nonNil(m.GetRepoTags()),
		RepoDigests:   nonNil(m.GetRepoDigests()),
		Parent:        digest.Digest(m.GetParent()),
		Comment:       m.GetComment(),
		Created:       decodeTime(m.GetCreated()),
		DockerVersion: m.GetDockerVersion(),
		Author:        m.GetAuthor(),
		Config:        decodeConfig(m.GetConfig()),
		Architecture:  m.GetArchitecture(),
		Variant:       m.GetVariant(),
		OS:            m.GetOs(),
		OSVersion:     m.GetOsVersion(),
		Size:          m.GetSize(),
		Driver:        m.GetDriver(),
		RootFS:        imagesvc.RootFS{Type: m.GetRootFs().GetType(), Layers: decodeDigests(m.GetRootFs().GetLayers())},
		LastTagTime:   decodeTime(m.GetLastTagTime()),
		Descriptor:    decodeDescriptor(m.GetDescriptor_()),
		Manifests:     decodeManifests(m.GetManifests(), m.GetHasManifests()),
		Identity:      decodeIdentity(m.GetIdentity()),
	}
}

func encodeProgress(ev imagesvc.ProgressEvent) *pb.Progress {
	m := &pb.Progress{Id: ev.ID, Status: ev.Status}
	if d := ev.Detail; d != nil {
		m.Detail = &pb.ProgressDetail{
			Current:    d.Current,
			Total:      d.Total,
			Start:      d.Start,
			HideCounts: d.HideCounts,
			Units:      d.Units,
		}
	}
	if a := ev.Aux; a != nil {
		m.Aux = &pb.PushAux{
			ManifestPushedInsteadOfIndex: a.ManifestPushedInsteadOfIndex,
			OriginalIndex:                encodeDescriptorPtr(a.OriginalIndex),
			SelectedManifest:             encodeDescriptorPtr(a.SelectedManifest),
			ContentMissing:               a.ContentMissing,
			Desc:                         encodeDescriptorPtr(a.Desc),
		}
	}
	return m
}

func decodeProgress(m *pb.Progress) imagesvc.ProgressEvent {
	ev := imagesvc.ProgressEvent{ID: m.GetId(), Status: m.GetStatus()}
	if d := m.GetDetail(); d != nil {
		ev.Detail = &imagesvc.ProgressDetail{
			Current:    d.GetCurrent(),
			Total:      d.GetTotal(),
			Start:      d.GetStart(),
			HideCounts: d.GetHideCounts(),
			Units:      d.GetUnits(),
		}
	}
	if a := m.GetAux(); a != nil {
		ev.Aux = &imagesvc.PushAux{
			ManifestPushedInsteadOfIndex: a.GetManifestPushedInsteadOfIndex(),
			OriginalIndex:                decodeDescriptorPtr(a.GetOriginalIndex()),
			SelectedManifest:             decodeDescriptorPtr(a.GetSelectedManifest()),
			ContentMissing:               a.GetContentMissing(),
			Desc:                         decodeDescriptorPtr(a.GetDesc()),
		}
	}
	return ev
}

// encodeDescriptorPtr encodes d, absent when nil.
func encodeDescriptorPtr(d *ocispec.Descriptor) *pb.Descriptor {
	if d == nil {
		return nil
	}
	return encodeDescriptor(*d)
}

// decodeDescriptorPtr decodes m, nil when absent.
func decodeDescriptorPtr(m *pb.Descriptor) *ocispec.Descriptor {
	if m == nil {
		return nil
	}
	d := decodeDescriptor(m)
	return &d
}

func encodeAuth(a *imagesvc.AuthConfig) *pb.AuthConfig {
	if a == nil {
		return nil
	}
	return &pb.AuthConfig{
		Username:      a.Username,
		Password:      a.Password,
		Auth:          a.Auth,
		ServerAddress: a.ServerAddress,
		IdentityToken: a.IdentityToken,
		RegistryToken: a.RegistryToken,
	}
}

func decodeAuth(m *pb.AuthConfig) *imagesvc.AuthConfig {
	if m == nil {
		return nil
	}
	return &imagesvc.AuthConfig{
		Username:      m.GetUsername(),
		Password:      m.GetPassword(),
		Auth:          m.GetAuth(),
		ServerAddress: m.GetServerAddress(),
		IdentityToken: m.GetIdentityToken(),
		RegistryToken: m.GetRegistryToken(),
	}
}

func encodeDeleteResponses(rs []imagesvc.DeleteResponse) []*pb.DeleteResponse {
	if len(rs) == 0 {
		return nil
	}
	out := make([]*pb.DeleteResponse, len(rs))
	for i, r := range rs {
		out[i] = &pb.DeleteResponse{Untagged: r.Untagged, Deleted: string(r.Deleted)}
	}
	return out
}

// decodeDeleteResponses returns nil for none, as the contracts of Remove and Prune do.
func decodeDeleteResponses(ms []*pb.DeleteResponse) []imagesvc.DeleteResponse {
	if len(ms) == 0 {
		return nil
	}
	out := make([]imagesvc.DeleteResponse, len(ms))
	for i, m := range ms {
		out[i] = imagesvc.DeleteResponse{Untagged: m.GetUntagged(), Deleted: digest.Digest(m.GetDeleted())}
	}
	return out
}

func encodeHistory(items []imagesvc.HistoryItem) []*pb.HistoryItem {
	if len(items) == 0 {
		return nil
	}
	out := make([]*pb.HistoryItem, len(items))
	for i := range items {
		it := &items[i]
		out[i] = &pb.HistoryItem{
			Id:        it.ID,
			Created:   encodeTime(it.Created),
			CreatedBy: it.CreatedBy,
			Tags:      it.Tags,
			Size:      it.Size,
			Comment:   it.Comment,
		}
	}
	return out
}

// decodeHistory returns nil for no entries, and nil Tags for entries without tags, as
// Historian's contract does.
func decodeHistory(ms []*pb.HistoryItem) []imagesvc.HistoryItem {
	if len(ms) == 0 {
		return nil
	}
	out := make([]imagesvc.HistoryItem, len(ms))
	for i, m := range ms {
		out[i] = imagesvc.HistoryItem{
			ID:        m.GetId(),
			Created:   decodeTime(m.GetCreated()),
			CreatedBy: m.GetCreatedBy(),
			Tags:      nilIfEmpty(m.GetTags()),
			Size:      m.GetSize(),
			Comment:   m.GetComment(),
		}
	}
	return out
}

func encodeContainers(cs []imagesvc.Container) []*pb.Container {
	out := make([]*pb.Container, len(cs))
	for i := range cs {
		c := &cs[i]
		out[i] = &pb.Container{
			Id:            c.ID,
			ImageId:       string(c.ImageID),
			ImageManifest: string(c.ImageManifest),
			Image:         c.Image,
			Running:       c.Running,
			ImageMounts:   encodeDigests(c.ImageMounts),
		}
	}
	return out
}

// decodeContainers returns an empty list, never nil, for none.
func decodeContainers(ms []*pb.Container) []imagesvc.Container {
	out := make([]imagesvc.Container, len(ms))
	for i, m := range ms {
		out[i] = imagesvc.Container{
			ID:            m.GetId(),
			ImageID:       digest.Digest(m.GetImageId()),
			ImageManifest: digest.Digest(m.GetImageManifest()),
			Image:         m.GetImage(),
			Running:       m.GetRunning(),
			ImageMounts:   decodeDigests(m.GetImageMounts()),
		}
	}
	return out
}

func encodeDistributionInfo(info *imagesvc.DistributionInfo) *pb.DistributionInspectResponse {
	m := &pb.DistributionInspectResponse{Target: encodeDescriptor(info.Descriptor), HasPlatforms: info.Platforms != nil}
	for i := range info.Platforms {
		m.Platforms = append(m.Platforms, encodePlatform(&info.Platforms[i]))
	}
	return m
}

// decodeDistributionInfo keeps nil Platforms (not known) apart from an empty list.
func decodeDistributionInfo(m *pb.DistributionInspectResponse) *imagesvc.DistributionInfo {
	info := &imagesvc.DistributionInfo{Descriptor: decodeDescriptor(m.GetTarget())}
	if m.GetHasPlatforms() || len(m.GetPlatforms()) > 0 {
		info.Platforms = make([]ocispec.Platform, len(m.GetPlatforms()))
		for i, p := range m.GetPlatforms() {
			info.Platforms[i] = decodePlatformValue(p)
		}
	}
	return info
}
