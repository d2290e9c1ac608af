package importer

import (
	"context"
	"io"
	"math"
	"net/http"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
)

// SourceOptions say how [OpenSource] may get an archive.
type SourceOptions struct {
	// AllowURL lets it fetch URL sources; without it they fail with PermissionDenied.
	AllowURL bool
	// Client fetches URL sources; nil means http.DefaultClient.
	Client *http.Client
}

// Source is the archive of an import, ready for [Import].
type Source struct {
	// Request is the request with Source set (and URL cleared).
	Request imagesvc.ImportRequest
	// Size is the archive's size when a URL source announced it, else 0.
	Size int64
	// Progress is where the import reports: the caller's for URL sources, nil for an
	// archive sent with the request (Docker reports no progress for those).
	Progress imagesvc.ProgressFunc
	body     io.Closer
}

// Close releases a URL source's connection; it is a no-op for other sources.
func (s *Source) Close() error {
	if s.body == nil {
		return nil
	}
	return s.body.Close()
}

// URLDisabled is the text of the PermissionDenied error for a URL source when URL imports
// are off: it says how a host turns them on, since a client sees it as it is.
const URLDisabled = "importing from a URL is disabled on this server: enable it with the image store's " +
	"AllowURLImport option (sqlite.Options.AllowURLImport, containerd.Options.AllowURLImport) " +
	"or imaged's --allow-url-import flag"

// OpenSource checks that req names exactly one archive, and opens it: a URL source is
// fetched (when allowed) and announced with "Downloading from <url>".
//
// Errors: InvalidArgument for no archive or two; PermissionDenied for a URL when
// opts.AllowURL is false; the errors of [FetchURL].
func OpenSource(ctx context.Context, req imagesvc.ImportRequest, opts SourceOptions, progress imagesvc.ProgressFunc) (*Source, error) {
	switch {
	case req.Source == nil && req.URL == nil:
		return nil, errdefs.ErrInvalidArgument.WithMessage("import: no archive to import")
	case req.Source != nil && req.URL != nil:
		return nil, errdefs.ErrInvalidArgument.WithMessage("import: both an archive and a URL to import")
	case req.Source != nil:
		return &Source{Request: req}, nil
	}
	if !opts.AllowURL {
		return nil, errdefs.ErrPermissionDenied.WithMessage(URLDisabled)
	}
	body, size, err := FetchURL(ctx, opts.Client, req.URL)
	if err != nil {
		return nil, err
	}
	progress.Report(imagesvc.ProgressEvent{Status: "Downloading from " + req.URL.String()})
	req.Source, req.URL = body, nil
	return &Source{Request: req, Size: max(size, 0), Progress: progress, body: body}, nil
}

// MaxSize turns a backend's size option into the bound [Options.MaxSize] takes: 0 means
// [DefaultMaxSize], a negative value no bound.
func MaxSize(option int64) int64 {
	switch {
	case option == 0:
		return DefaultMaxSize
	case option < 0:
		return math.MaxInt64
	}
	return option
}
