package httpadapter

import (
	"net/http"
	"runtime"
)

// ping serves GET and HEAD /_ping.
func (h *handler) ping(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	hdr.Set("Pragma", "no-cache")
	hdr.Set("Swarm", "inactive")
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		hdr.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("OK"))
}

// versionResponse is api/types/system.VersionResponse.
type versionResponse struct {
	Platform      platformInfo       `json:"Platform"`
	Version       string             `json:"Version"`
	APIVersion    string             `json:"ApiVersion"`
	MinAPIVersion string             `json:"MinAPIVersion,omitempty"`
	Os            string             `json:"Os"`
	Arch          string             `json:"Arch"`
	Components    []componentVersion `json:"Components,omitempty"`
	GitCommit     string             `json:"GitCommit,omitempty"`
	GoVersion     string             `json:"GoVersion,omitempty"`
	KernelVersion string             `json:"KernelVersion,omitempty"`
	Experimental  bool               `json:"Experimental,omitempty"`
	BuildTime     string             `json:"BuildTime,omitempty"`
}

type platformInfo struct {
	Name string `json:"Name"`
}

type componentVersion struct {
	Name    string            `json:"Name"`
	Version string            `json:"Version"`
	Details map[string]string `json:"Details,omitempty"`
}

// version serves GET /version.
func (h *handler) version(w http.ResponseWriter) error {
	c := &h.cfg
	return writeJSON(w, http.StatusOK, &versionResponse{
		Platform:      platformInfo{Name: "imageapi " + c.engineVersion},
		Version:       c.engineVersion,
		APIVersion:    c.maxVersion,
		MinAPIVersion: c.minVersion,
		Os:            c.osType,
		Arch:          runtime.GOARCH,
		Components: []componentVersion{{
			Name:    "Engine",
			Version: c.engineVersion,
			Details: map[string]string{
				"ApiVersion":    c.maxVersion,
				"MinAPIVersion": c.minVersion,
				"Os":            c.osType,
				"Arch":          runtime.GOARCH,
				"GoVersion":     runtime.Version(),
				"Experimental":  "false",
			},
		}},
		GoVersion: runtime.Version(),
	})
}
