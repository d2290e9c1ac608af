package httpadapter

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/moby/moby/api/types/system"
)

// Default values of [Options].
const (
	// DefaultMinVersion is the lowest API version served when [Options.MinVersion] is empty.
	DefaultMinVersion = "1.24"
	// DefaultMaxVersion is the highest API version served when [Options.MaxVersion] is
	// empty. It is also the version of unversioned requests and the Api-Version header.
	DefaultMaxVersion = "1.56"
	// DefaultEngineVersion is the engine version reported when [Options.EngineVersion] is
	// empty: the Docker Engine release whose API this package follows, marked as imageapi.
	DefaultEngineVersion = "29.7.0-imageapi"
	// DefaultMaxImportSize bounds an import request body when [Options.MaxImportSize] is 0.
	DefaultMaxImportSize int64 = 8 << 30
	// DefaultEventsWriteTimeout bounds the write of one event to a GET /events client when
	// [Options.EventsWriteTimeout] is 0.
	DefaultEventsWriteTimeout = time.Minute
)

// Options configure the handler returned by [New]. The zero value is ready to use: API
// versions 1.24 to 1.56, the host's OS type, no /_ping or /version, GET /info with what
// the image service knows, import bodies of at most 8 GiB, logging to slog.Default().
type Options struct {
	// MinVersion is the lowest API version accepted ("1.24" when empty). Requests for an
	// older version get 400 "client version X is too old. Minimum supported API version is
	// MinVersion, please upgrade your client to a newer version".
	MinVersion string

	// MaxVersion is the highest API version accepted ("1.56" when empty). It is sent in the
	// Api-Version header of every answer, used for requests without a version prefix, and
	// newer versions get 400 "client version X is too new. Maximum supported API version
	// is MaxVersion". It may not be above 1.56, the newest version this package knows.
	MaxVersion string

	// EngineVersion is the engine version in the Server header ("Docker/<EngineVersion>
	// (<OSType>)") and in GET /version. Empty means [DefaultEngineVersion].
	EngineVersion string

	// OSType is the operating system reported in the Ostype header, the Server header and
	// GET /version. Empty means runtime.GOOS.
	OSType string

	// Ping serves GET and HEAD /_ping, as the docker CLI and SDKs expect before anything
	// else (API version negotiation). Leave it off when the host serves /_ping itself.
	Ping bool

	// Version serves GET /version. Leave it off when the host serves /version itself.
	Version bool

	// Info supplies or overrides what GET /info reports. The adapter always serves GET
	// /info; before each answer it fills an Info with what an image service knows and
	// then calls Info, which may change any field: a runtime sets its containers, a daemon
	// its ID, storage driver, data root and registry configuration. The defaults: Images
	// (the count of the service's images, dangling ones included, as Docker counts them),
	// OSType, Architecture (as uname -m names it), NCPU, ServerVersion (EngineVersion),
	// Name (the host name), SystemTime, IndexServerAddress ([IndexServerAddress]),
	// RegistryConfig ([DefaultRegistryConfig]), Swarm.LocalNodeState "inactive",
	// CgroupDriver "none"; the rest zero, collections empty. Fields newer than the
	// requested API version are left out afterwards, as Docker does.
	//
	// An error fails the request with its errdefs class. Nil means the defaults as they
	// are. Info is called once per request, concurrently with other requests, with the
	// request's context; it should be cheap, as clients such as testcontainers and compose
	// call /info whenever they start.
	Info func(ctx context.Context, info *system.Info) error

	// MaxImportSize bounds the request body of an import (POST /images/create?fromSrc=-)
	// and of a load (POST /images/load), in bytes: a larger body fails with 413. 0 means [DefaultMaxImportSize]; a negative
	// value means no bound (the backend's own bound still applies).
	MaxImportSize int64

	// EventsWriteTimeout bounds how long writing one event (and the answer's header) to a
	// GET /events client may take. A client that stops reading fills its connection's
	// buffers; once a write has waited this long the stream ends and the connection is
	// closed, which frees the handler's goroutine and the service's watcher (whose memory
	// the service bounds anyway). 0 means [DefaultEventsWriteTimeout]; a negative value
	// means no bound. Between events the connection has no write deadline: an events
	// stream is not cut by http.Server.WriteTimeout, which would end every long watch.
	EventsWriteTimeout time.Duration

	// Logger receives the errors answered with a 5xx status, recovered panics and
	// requests abandoned by their client. Nil means slog.Default().
	Logger *slog.Logger

	// UsageVersion returns a value that changes whenever the containers the backend's
	// usage provider reports could change. The ETags of GET /images/json and GET
	// /images/{name}/json include it, and there is no ETag when it fails. A host whose
	// backend's usage provider implements imagesvc.UsageTrackedPerCall sets it: the
	// backend's ListVersion does not cover such a provider (it says so with
	// imagesvc.UsageOmitter), and without a usage version the answers get no ETag and none
	// is kept. Other hosts leave it nil: a backend whose provider has no version fails
	// ListVersion, and the answers get no ETag.
	UsageVersion UsageVersionFunc
}

// config is Options with the defaults applied and checked.
type config struct {
	minVersion    string
	maxVersion    string
	engineVersion string
	osType        string
	server        string
	ping          bool
	version       bool
	info          func(context.Context, *system.Info) error
	maxImport     int64
	eventsWrite   time.Duration // < 0: no bound
	log           *slog.Logger
}

func (o Options) config() (config, error) {
	c := config{
		minVersion:    o.MinVersion,
		maxVersion:    o.MaxVersion,
		engineVersion: o.EngineVersion,
		osType:        o.OSType,
		ping:          o.Ping,
		version:       o.Version,
		info:          o.Info,
		maxImport:     o.MaxImportSize,
		eventsWrite:   o.EventsWriteTimeout,
		log:           o.Logger,
	}
	if c.minVersion == "" {
		c.minVersion = DefaultMinVersion
	}
	if c.maxVersion == "" {
		c.maxVersion = DefaultMaxVersion
	}
	for _, v := range []string{c.minVersion, c.maxVersion} {
		if !validVersion(v) {
			return config{}, fmt.Errorf("httpadapter: invalid API version %q: want digits and dots, like %q", v, DefaultMaxVersion)
		}
	}
	if versionLess(c.maxVersion, c.minVersion) {
		return config{}, fmt.Errorf("httpadapter: MinVersion %s is above MaxVersion %s", c.minVersion, c.maxVersion)
	}
	if versionLess(DefaultMaxVersion, c.maxVersion) {
		return config{}, fmt.Errorf("httpadapter: MaxVersion %s is above %s, the newest API version this package serves", c.maxVersion, DefaultMaxVersion)
	}
	if c.engineVersion == "" {
		c.engineVersion = DefaultEngineVersion
	}
	if c.osType == "" {
		c.osType = runtime.GOOS
	}
	c.server = "Docker/" + c.engineVersion + " (" + c.osType + ")"
	if c.maxImport == 0 {
		c.maxImport = DefaultMaxImportSize
	}
	if c.eventsWrite == 0 {
		c.eventsWrite = DefaultEventsWriteTimeout
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}
