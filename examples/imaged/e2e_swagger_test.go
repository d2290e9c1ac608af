package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imageapi/imageapi/internal/swaggercheck"
	"github.com/imageapi/imageapi/internal/testimages"
)

// maxAPI is the version imaged serves unversioned requests as.
const maxAPI = "1.56"

// Every answer of the image endpoints (list, inspect, create, and the lifecycle's remove,
// tag, prune and history) is validated against two documents:
//
//   - moby's api/swagger.yaml (API 1.56), the brief's contract: strictly (no undeclared
//     properties) for answers at 1.56, loosely for older versions, whose answers carry the
//     legacy keys Docker still sends (VirtualSize, Container, ...);
//   - for an older version V, moby's api/docs/vV.yaml, the document as it was at V,
//     strictly: a key that V did not have (Descriptor, Manifests at 1.41) is a mistake.
//
// exceptions lists the places where Docker's own daemon (the containerd image store of
// Engine 29, whose answers the spec describes) breaks the documents too. A violation is
// excused only by an entry that names its document, endpoint, JSON path and rule; the
// checker itself is never loosened.
var exceptions = []exception{
	// CreateImageInfo (both documents) has no "error" key and ProgressDetail only
	// current/total; Docker sends the deprecated "error" duplicate next to errorDetail in
	// every in-stream error (spec §4.5, jsonstream.Message via compat), and "hidecounts"
	// (Download complete, Pull complete) and "units" (Extracting) in progressDetail.
	{doc: "*", endpoint: "create", path: "$.error", rule: swaggercheck.RuleUnknown,
		why: "Docker sends the deprecated error string next to errorDetail (spec §4.5)"},
	{doc: "*", endpoint: "create", path: "$.progressDetail.hidecounts", rule: swaggercheck.RuleUnknown,
		why: "Docker's jsonstream.Progress has hidecounts; the schema only current/total (spec §4.5)"},
	{doc: "*", endpoint: "create", path: "$.progressDetail.units", rule: swaggercheck.RuleUnknown,
		why: "Docker's jsonstream.Progress has units (\"s\" for containerd's Extracting); the schema only current/total"},
	// ImageManifestSummary.ImageData.Containers is a non-nullable array; Docker's
	// containerd store sends null when no container uses the manifest (spec §2.6, §8.9).
	{doc: "*", endpoint: "list", path: "$[*].Manifests[*].ImageData.Containers", rule: swaggercheck.RuleNull,
		why: "Docker sends ImageData.Containers null when unused (spec §2.6)"},
	{doc: "*", endpoint: "inspect", path: "$.Manifests[*].ImageData.Containers", rule: swaggercheck.RuleNull,
		why: "Docker sends ImageData.Containers null when unused (spec §2.6)"},
	// From 1.52 Docker's route adds Parent (and DockerVersion) to inspect when non-empty,
	// through its compatibility wrapper (spec §3.3); the containerd store fills Parent from
	// the label org.mobyproject.image.parent. swagger.yaml 1.56 no longer declares them.
	{doc: "swagger.yaml", endpoint: "inspect", path: "$.Parent", rule: swaggercheck.RuleUnknown,
		why: "Docker still sends a non-empty Parent on inspect from 1.52 on, which swagger.yaml dropped (spec §3.3)"},
	// Below API 1.50 Docker's route adds the legacy Config fields of an image as nil when
	// the image has none: Cmd, Entrypoint, Env, Labels, Volumes null (spec §3.3); ImageConfig
	// does not make them nullable in any document.
	{doc: "*", endpoint: "inspect", below: "1.52", path: "$.Config.Cmd", rule: swaggercheck.RuleNull,
		why: "below 1.52 Docker sends empty legacy Config fields as null (spec §3.3)"},
	{doc: "*", endpoint: "inspect", below: "1.52", path: "$.Config.Entrypoint", rule: swaggercheck.RuleNull,
		why: "below 1.52 Docker sends empty legacy Config fields as null (spec §3.3)"},
	{doc: "*", endpoint: "inspect", below: "1.52", path: "$.Config.Env", rule: swaggercheck.RuleNull,
		why: "below 1.52 Docker sends empty legacy Config fields as null (spec §3.3)"},
	{doc: "*", endpoint: "inspect", below: "1.52", path: "$.Config.Labels", rule: swaggercheck.RuleNull,
		why: "below 1.52 Docker sends empty legacy Config fields as null (spec §3.3)"},
	{doc: "*", endpoint: "inspect", below: "1.52", path: "$.Config.Volumes", rule: swaggercheck.RuleNull,
		why: "below 1.52 Docker sends empty legacy Config fields as null (spec §3.3)"},
	// Below 1.45 ContainerConfig is sent, and it is null on the containerd store (spec §3.3);
	// the documents of those versions make it a non-nullable ContainerConfig.
	{doc: "*", endpoint: "inspect", below: "1.45", path: "$.ContainerConfig", rule: swaggercheck.RuleNull,
		why: "below 1.45 Docker's containerd store sends ContainerConfig null (spec §3.3)"},
	// Below 1.52 the route restores GraphDriver as {"Name":"<snapshotter>","Data":null} for
	// the containerd store (spec §3.3); DriverData.Data is x-nullable: false.
	{doc: "*", endpoint: "inspect", below: "1.52", path: "$.GraphDriver.Data", rule: swaggercheck.RuleNull,
		why: "below 1.52 Docker's containerd store sends GraphDriver.Data null (spec §3.3)"},
	// Docker sends null, not [], for the empty lists of the lifecycle endpoints
	// (lifecycle spec §12.9): a platform delete that deleted nothing, a prune that pruned
	// nothing, a history without entries, and the Tags of history rows without an image ID
	// (every row but the first, and the first of a dangling image). No document makes them
	// nullable.
	{doc: "*", endpoint: "remove", path: "$", rule: swaggercheck.RuleNull,
		why: "Docker answers null to a platform delete that deleted nothing (lifecycle spec §2.5)"},
	{doc: "*", endpoint: "prune", path: "$.ImagesDeleted", rule: swaggercheck.RuleNull,
		why: "Docker sends ImagesDeleted null when nothing was pruned (lifecycle spec §4.4)"},
	{doc: "*", endpoint: "history", path: "$", rule: swaggercheck.RuleNull,
		why: "Docker answers null for a config without history (lifecycle spec §5)"},
	{doc: "*", endpoint: "history", path: "$[*].Tags", rule: swaggercheck.RuleNull,
		why: "Docker sends history Tags null on rows without an image ID (lifecycle spec §5)"},
	// A platform delete of an image's only present platform leaves it without a config;
	// Docker's inspect then answers RootFS {} (lifecycle spec §2.5), without the required
	// Type.
	{doc: "*", endpoint: "inspect", path: "$.RootFS.Type", rule: swaggercheck.RuleRequired,
		why: "Docker's inspect of an image whose platforms were deleted has RootFS {} (lifecycle spec §2.5)"},
	// GET /info (moby's getInfo): below 1.47 the fields removed in 1.48 are added back as
	// null (compat.WithExtraFields with json.RawMessage(nil)), and CDISpecDirs (API 1.44)
	// is sent at every version.
	{doc: "*", endpoint: "info", below: "1.47", path: "$.RegistryConfig.AllowNondistributableArtifactsCIDRs", rule: swaggercheck.RuleNull,
		why: "below 1.47 Docker's getInfo sends the removed AllowNondistributableArtifacts fields as null"},
	{doc: "*", endpoint: "info", below: "1.47", path: "$.RegistryConfig.AllowNondistributableArtifactsHostnames", rule: swaggercheck.RuleNull,
		why: "below 1.47 Docker's getInfo sends the removed AllowNondistributableArtifacts fields as null"},
	{doc: "*", endpoint: "info", below: "1.44", path: "$.CDISpecDirs", rule: swaggercheck.RuleUnknown,
		why: "Docker's getInfo sends CDISpecDirs (API 1.44) at every version"},
	// GET /system/df (lifecycle spec §10.3): from 1.52, without verbose, Docker still sends
	// the legacy fields next to the *Usage objects (a FIXME in getDiskUsage), which
	// the documents from 1.52 no longer declare; the items are not shaped by version (§10.2):
	// Descriptor on every version, and null names for a dangling image (Go's nil slices).
	{doc: "*", endpoint: "df", path: "$.LayersSize", rule: swaggercheck.RuleUnknown,
		why: "from 1.52 Docker sends the legacy df fields unless verbose (lifecycle spec §10.3)"},
	{doc: "*", endpoint: "df", path: "$.Images", rule: swaggercheck.RuleUnknown,
		why: "from 1.52 Docker sends the legacy df fields unless verbose (lifecycle spec §10.3)"},
	{doc: "*", endpoint: "df", path: "$.Containers", rule: swaggercheck.RuleUnknown,
		why: "from 1.52 Docker sends the legacy df fields unless verbose (lifecycle spec §10.3)"},
	{doc: "*", endpoint: "df", path: "$.Volumes", rule: swaggercheck.RuleUnknown,
		why: "from 1.52 Docker sends the legacy df fields unless verbose (lifecycle spec §10.3)"},
	{doc: "*", endpoint: "df", path: "$.BuildCache", rule: swaggercheck.RuleUnknown,
		why: "from 1.52 Docker sends the legacy df fields unless verbose (lifecycle spec §10.3)"},
	{doc: "*", endpoint: "df", below: "1.48", path: "$.Images[*].Descriptor", rule: swaggercheck.RuleUnknown,
		why: "Docker's df items carry the Descriptor on every version (lifecycle spec §10.2)"},
	{doc: "*", endpoint: "df", path: "$.Images[*].RepoTags", rule: swaggercheck.RuleNull,
		why: "Docker's df items of a dangling image have RepoTags null (lifecycle spec §10.2)"},
	{doc: "*", endpoint: "df", path: "$.Images[*].RepoDigests", rule: swaggercheck.RuleNull,
		why: "Docker's df items of a dangling image have RepoDigests null (lifecycle spec §10.2)"},
	{doc: "*", endpoint: "df", path: "$.ImageUsage.Items[*].RepoTags", rule: swaggercheck.RuleNull,
		why: "Docker's df items of a dangling image have RepoTags null (lifecycle spec §10.2)"},
	{doc: "*", endpoint: "df", path: "$.ImageUsage.Items[*].RepoDigests", rule: swaggercheck.RuleNull,
		why: "Docker's df items of a dangling image have RepoDigests null (lifecycle spec §10.2)"},
}

// exception excuses one kind of violation; doc is "swagger.yaml", "v1.41", ... or "*",
// endpoint "list", "inspect", "create", "remove", "tag", "prune", "history", "info", "df", "error" or
// "*", below (if set) limits it to
// requests for older API versions, path is a JSON path with [*] for any array index.
type exception struct {
	doc, endpoint, below, path string
	rule                       swaggercheck.Rule
	why                        string
}

// versionBelow reports whether API version a is older than b ("1.9" < "1.41").
func versionBelow(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// endpoint identifies a request to one of the image endpoints.
type endpoint struct {
	kind    string // list, inspect, create, remove, tag, prune or history
	version string // the requested API version (maxAPI when unversioned)
	method  string
	tmpl    string // the path template of the swagger documents
}

var versionRe = regexp.MustCompile(`^/v([0-9.]+)(/.*)$`)

// routes are the image endpoints, in the order Docker's router tries them: a path
// matches a template when it has the template's text around {name}.
var routes = []struct{ kind, method, tmpl string }{
	{"list", http.MethodGet, "/images/json"},
	{"history", http.MethodGet, "/images/{name}/history"},
	{"inspect", http.MethodGet, "/images/{name}/json"},
	{"create", http.MethodPost, "/images/create"},
	{"prune", http.MethodPost, "/images/prune"},
	{"tag", http.MethodPost, "/images/{name}/tag"},
	{"remove", http.MethodDelete, "/images/{name}"},
	{"auth", http.MethodPost, "/auth"},
	{"distribution", http.MethodGet, "/distribution/{name}/json"},
	{"info", http.MethodGet, "/info"},
	{"df", http.MethodGet, "/system/df"},
}

// classify tells whether a request is one of the image endpoints.
func classify(method, path string) (endpoint, bool) {
	ep := endpoint{version: maxAPI, method: method}
	if m := versionRe.FindStringSubmatch(path); m != nil {
		ep.version, path = m[1], m[2]
	}
	for _, r := range routes {
		if r.method != method {
			continue
		}
		prefix, suffix, named := strings.Cut(r.tmpl, "{name}")
		if (!named && path == r.tmpl) ||
			(named && len(path) > len(prefix)+len(suffix) && strings.HasPrefix(path, prefix) && strings.HasSuffix(path, suffix)) {
			ep.kind, ep.tmpl = r.kind, r.tmpl
			return ep, true
		}
	}
	return ep, false
}

// validator checks answers and keeps the problems for the test that is running.
type validator struct {
	current *swaggercheck.Doc

	mu        sync.Mutex
	versioned map[string]*swaggercheck.Doc // by version; nil when moby has no document for it
	problems  []problem
	counts    map[string]int // "kind version" -> answers validated with status 200
	excused   map[string]int // exception.why -> violations excused
}

func newValidator() (*validator, error) {
	p, err := swaggercheck.MobySwaggerPath("")
	if err != nil {
		return nil, fmt.Errorf("moby's swagger.yaml: %w", err)
	}
	d, err := swaggercheck.Load(p)
	if err != nil {
		return nil, err
	}
	if d.Version() != maxAPI {
		return nil, fmt.Errorf("%s is API %s, want %s", p, d.Version(), maxAPI)
	}
	return &validator{
		current:   d,
		versioned: map[string]*swaggercheck.Doc{maxAPI: nil},
		counts:    map[string]int{},
		excused:   map[string]int{},
	}, nil
}

// claim makes t the owner of the problems found from now until t ends (and of those found
// while the fixture was set up, for the first test).
func (v *validator) claim(t *testing.T) {
	t.Cleanup(func() {
		v.mu.Lock()
		ps := v.problems
		v.problems = nil
		v.mu.Unlock()
		// One error per kind of problem, with its first occurrence and a count.
		var order []string
		first := map[string]string{}
		n := map[string]int{}
		for _, p := range ps {
			if _, ok := first[p.key]; !ok {
				order = append(order, p.key)
				first[p.key] = p.msg
			}
			n[p.key]++
		}
		for _, k := range order {
			if n[k] > 1 {
				t.Errorf("answer breaks the contract (%d times): %s\n\tfirst: %s", n[k], k, first[k])
			} else {
				t.Errorf("answer breaks the contract: %s", first[k])
			}
		}
	})
}

// problem is one contract violation; problems with the same key are reported once.
type problem struct{ key, msg string }

func (v *validator) add(key, msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.problems = append(v.problems, problem{key: key, msg: msg})
}

func (v *validator) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	v.add(msg, msg)
}

// docFor returns moby's document for version (nil if there is none), loading it once.
func (v *validator) docFor(version string) *swaggercheck.Doc {
	v.mu.Lock()
	d, ok := v.versioned[version]
	v.mu.Unlock()
	if ok {
		return d
	}
	if p, err := swaggercheck.MobySwaggerPath(version); err == nil {
		if d, err = swaggercheck.Load(p); err != nil {
			v.problem("load %s: %v", p, err)
			d = nil
		}
	}
	v.mu.Lock()
	v.versioned[version] = d
	v.mu.Unlock()
	return d
}

type docCheck struct {
	name   string
	doc    *swaggercheck.Doc
	strict bool
}

func (v *validator) docs(version string) []docCheck {
	cs := []docCheck{{name: "swagger.yaml", doc: v.current, strict: version == maxAPI}}
	if version != maxAPI {
		if d := v.docFor(version); d != nil {
			cs = append(cs, docCheck{name: "v" + version, doc: d, strict: true})
		}
	}
	return cs
}

var indexRe = regexp.MustCompile(`\[[0-9]+\]`)

func (v *validator) excuse(doc, kind, version string, viol swaggercheck.Violation) bool {
	p := indexRe.ReplaceAllString(viol.Path, "[*]")
	for _, e := range exceptions {
		if (e.doc == "*" || e.doc == doc) && (e.endpoint == "*" || e.endpoint == kind) &&
			(e.below == "" || versionBelow(version, e.below)) && e.path == p && e.rule == viol.Rule {
			v.mu.Lock()
			v.excused[e.why]++
			v.mu.Unlock()
			return true
		}
	}
	return false
}

// check validates one answer (for create with status 200, one line of the stream).
// what describes the request for messages.
func (v *validator) check(ep endpoint, status int, body []byte, what string) {
	kind := ep.kind
	if kind == "tag" && status == http.StatusCreated {
		// No schema: Docker's 201 has an empty body.
		if len(body) != 0 {
			v.problem("%s: 201 with a body %q, want none", what, clip(body))
		}
		v.count(ep, status)
		return
	}
	for _, dc := range v.docs(ep.version) {
		var (
			s   swaggercheck.Schema
			err error
		)
		switch {
		case status >= 400:
			kind = "error"
			if s, err = dc.doc.Response(ep.method, ep.tmpl, status); err != nil {
				s, err = dc.doc.Definition("ErrorResponse")
			}
		case ep.kind == "create":
			s, err = dc.doc.Definition("CreateImageInfo")
		default:
			s, err = dc.doc.Response(ep.method, ep.tmpl, status)
		}
		if err != nil {
			v.problem("%s: %s: no schema: %v", what, dc.name, err)
			continue
		}
		vs, err := s.ValidateJSON(body, swaggercheck.Options{DisallowUnknown: dc.strict})
		if err != nil {
			v.problem("%s: %v: %q", what, err, body)
			continue
		}
		for _, viol := range vs {
			if !v.excuse(dc.name, kind, ep.version, viol) {
				key := fmt.Sprintf("%s %s at API %s: %s: %s", dc.name, s.Name(), ep.version,
					indexRe.ReplaceAllString(viol.Path, "[*]"), viol.Rule)
				v.add(key, fmt.Sprintf("%s: %s %s: %s\n\tin %s", what, dc.name, s.Name(), viol, clip(body)))
			}
		}
	}
	v.count(ep, status)
}

// count counts a successful answer of ep.
func (v *validator) count(ep endpoint, status int) {
	if status == http.StatusOK || status == http.StatusCreated {
		v.mu.Lock()
		v.counts[ep.kind+" "+ep.version]++
		v.mu.Unlock()
	}
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}

// checkHeaders checks what every answer of the image endpoints carries: Content-Type
// exactly application/json (the Go client decodes errors only then), or none for a tag's
// 201, and Api-Version.
func (v *validator) checkHeaders(ep endpoint, status int, h http.Header, what string) {
	want := "application/json"
	if ep.kind == "tag" && status == http.StatusCreated {
		want = ""
	}
	if ct := h.Get("Content-Type"); ct != want {
		v.problem("%s: Content-Type %q, want %q", what, ct, want)
	}
	if av := h.Get("Api-Version"); av != maxAPI {
		v.problem("%s: Api-Version %q, want %s", what, av, maxAPI)
	}
}

// checkStream validates a whole create stream: every object ends with "\r\n" and each
// is a CreateImageInfo.
func (v *validator) checkStream(ep endpoint, body []byte, what string) {
	rest := body
	for len(rest) > 0 {
		line, after, found := bytes.Cut(rest, []byte("\n"))
		rest = after
		if !found || !bytes.HasSuffix(line, []byte("\r")) {
			v.problem("%s: stream object not terminated by \\r\\n: %q", what, line)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		v.check(ep, http.StatusOK, bytes.TrimSuffix(line, []byte("\r")), what)
	}
}

func (v *validator) validated(kind, version string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.counts[kind+" "+version]
}

// validatingProxy forwards every request to imaged's unix socket and validates the answers
// of the image endpoints on their way back; create streams are passed on line by line, as
// they come.
type validatingProxy struct {
	sock string
	val  *validator
	once sync.Once
	tr   *http.Transport
}

func (p *validatingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.once.Do(func() {
		p.tr = &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", p.sock)
			},
			DisableCompression: true,
		}
	})
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = "http", "imaged"
	if r.ContentLength == 0 {
		out.Body = nil
	}
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		p.val.problem("proxy %s %s: %v", r.Method, r.URL, err)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	ep, ok := classify(r.Method, r.URL.Path)
	what := fmt.Sprintf("%s %s (via proxy)", r.Method, r.URL.RequestURI())
	if !ok {
		// Passed on as it comes (GET /events streams): the headers at once, as imaged
		// sends them (a live watch with nothing to replay has no body yet, and the Go
		// SDK's Events returns only once the headers are in), then flushed after every
		// read.
		fl, _ := w.(http.Flusher)
		if fl != nil {
			fl.Flush()
		}
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				_, _ = w.Write(buf[:n])
				if fl != nil {
					fl.Flush()
				}
			}
			if err != nil {
				return
			}
		}
	}
	p.val.checkHeaders(ep, resp.StatusCode, resp.Header, what)
	fl, _ := w.(http.Flusher)
	if ep.kind == "create" && resp.StatusCode == http.StatusOK {
		br := bufio.NewReader(resp.Body)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				_, _ = w.Write(line)
				if fl != nil {
					fl.Flush()
				}
				p.val.checkStream(ep, line, what)
			}
			if err != nil {
				// A client that stops reading (after an in-stream error, say) cancels the
				// request, and with it the read from imaged.
				if err != io.EOF && r.Context().Err() == nil {
					p.val.problem("%s: reading the stream: %v", what, err)
				}
				return
			}
		}
	}
	body, err := io.ReadAll(resp.Body)
	_, _ = w.Write(body)
	if err != nil {
		p.val.problem("%s: reading the answer: %v", what, err)
		return
	}
	p.val.check(ep, resp.StatusCode, body, what)
}

// direct sends a request straight to imaged's TCP listener, validates the answer and
// returns its status and body.
func direct(t *testing.T, f *fixture, method, path string, body io.Reader) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+f.tcp+path, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	ep, ok := classify(method, req.URL.Path)
	if !ok {
		t.Fatalf("%s %s is not an image endpoint", method, path)
	}
	what := method + " " + path
	f.val.checkHeaders(ep, resp.StatusCode, resp.Header, what)
	if ep.kind == "create" && resp.StatusCode == http.StatusOK {
		f.val.checkStream(ep, data, what)
	} else {
		f.val.check(ep, resp.StatusCode, data, what)
	}
	return resp.StatusCode, data
}

// TestSwaggerEveryEndpoint sends every kind of request the image endpoints know to imaged's
// TCP listener at API 1.56 and 1.41 and validates each answer (list with and without
// manifests, shared sizes and filters; inspect of every listed image by ID and of named,
// multi-platform, per-platform and imported images; pulls, an in-stream pull failure,
// imports; tag, history, untag and a prune that matches nothing; the error answers)
// against moby's documents. The lifecycle answers of every backend are validated too, by
// the proxies of the lifecycle tests (e2e_backends_test.go).
func TestSwaggerEveryEndpoint(t *testing.T) {
	f := env(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Images to pull, per version: a schema 2 image, an index whose pull fails half-way (one
	// of its layers is deleted from the registry after the push).
	broken := map[string]string{}
	for i, v := range []string{maxAPI, "1.41"} {
		img, err := testimages.DockerSchema2(testimages.Config{Created: date("2025-07-01"), Seed: uint64(100 + i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := testimages.Push(ctx, f.reg, "e2e/swagger", "v"+v, img, true, nil); err != nil {
			t.Fatal(err)
		}
		repo := "e2e/broken"
		pushBroken(t, f, repo, "v"+v, uint64(200+i))
		broken[v] = repo
	}

	for _, v := range []string{maxAPI, "1.41"} {
		t.Run("v"+v, func(t *testing.T) {
			pre := "/v" + v
			get := func(path string, want int) []byte {
				t.Helper()
				status, body := direct(t, f, http.MethodGet, pre+path, nil)
				if status != want {
					t.Errorf("GET %s: status %d, want %d: %s", pre+path, status, want, body)
				}
				return body
			}
			post := func(q url.Values, body io.Reader, want int) []byte {
				t.Helper()
				status, data := direct(t, f, http.MethodPost, pre+"/images/create?"+q.Encode(), body)
				if status != want {
					t.Errorf("POST %s/images/create?%s: status %d, want %d: %s", pre, q.Encode(), status, want, data)
				}
				return data
			}

			f.removeWhenDone(t, f.ref("e2e/swagger:v"+v), "e2e/swagger-import:v"+v)

			// Pulls: a new image, the same again (up to date), one that fails in the stream.
			out := post(url.Values{"fromImage": {f.ref("e2e/swagger")}, "tag": {"v" + v}}, nil, 200)
			if !bytes.Contains(out, []byte("Status: Downloaded newer image for "+f.ref("e2e/swagger:v"+v))) {
				t.Errorf("pull: no final status in\n%s", out)
			}
			out = post(url.Values{"fromImage": {f.ref("e2e/swagger")}, "tag": {"v" + v}}, nil, 200)
			if !bytes.Contains(out, []byte("Status: Image is up to date for "+f.ref("e2e/swagger:v"+v))) {
				t.Errorf("second pull: not up to date:\n%s", out)
			}
			out = post(url.Values{"fromImage": {f.ref(broken[v])}, "tag": {"v" + v}}, nil, 200)
			if !bytes.Contains(out, []byte(`"errorDetail":{`)) {
				t.Errorf("pull with a missing layer: no in-stream error:\n%s", out)
			}
			post(url.Values{"fromImage": {f.ref("e2e/nosuch")}, "tag": {"1"}}, nil, 404)
			post(url.Values{"fromImage": {"Bad/Name"}}, nil, 400)

			// Imports: named with changes, and a bad change (400 before any output).
			tar := testimages.Tar([]testimages.File{{Name: "v/" + v, Data: []byte(v)}})
			out = post(url.Values{"fromSrc": {"-"}, "repo": {"e2e/swagger-import"}, "tag": {"v" + v},
				"changes": {"ENV V=" + v, `CMD ["sh"]`, "EXPOSE 80/tcp", "VOLUME /data"}, "message": {"at " + v}},
				bytes.NewReader(tar), 200)
			importID := lastStatus(out)
			if !strings.HasPrefix(importID, "sha256:") {
				t.Errorf("import: no ID at the end of\n%s", out)
			}
			post(url.Values{"fromSrc": {"-"}, "changes": {"RUN true"}}, bytes.NewReader(tar), 400)

			// Lists.
			var all []struct {
				ID       string `json:"Id"`
				RepoTags []string
			}
			if err := json.Unmarshal(get("/images/json?all=1", 200), &all); err != nil {
				t.Fatal(err)
			}
			for _, img := range []*testimages.Image{f.base, f.child, f.app, f.multi} {
				if !slices.ContainsFunc(all, func(s struct {
					ID       string `json:"Id"`
					RepoTags []string
				}) bool {
					return s.ID == img.Descriptor.Digest.String()
				}) {
					t.Errorf("list: the fixture's image %s is missing", img.Descriptor.Digest)
				}
			}
			get("/images/json", 200)
			get("/images/json?manifests=1", 200)
			get("/images/json?manifests=1&shared-size=1&all=1", 200)
			get("/images/json?filters="+url.QueryEscape(`{"reference":{"`+f.ref("e2e/app")+`":true}}`), 200)
			get("/images/json?filters="+url.QueryEscape(`{"dangling":["true"]}`), 200)
			get("/images/json?filters="+url.QueryEscape(`{"label":{"`+labelTeam+`":true}}`), 200)
			get("/images/json?filters="+url.QueryEscape(`{"nosuchkey":{"x":true}}`), 400)
			get("/images/json?filters="+url.QueryEscape(`{"before":{"nosuch:1":true}}`), 404)

			// Inspects: every image by ID, then by name, digest, platform and with manifests.
			for _, img := range all {
				get("/images/"+img.ID+"/json", 200)
			}
			names := []string{
				f.ref("e2e/app:v1"),
				f.ref("e2e/app@" + f.app.Descriptor.Digest.String()),
				f.ref("e2e/multi:1.0"),
				f.ref("e2e/child:1"),
			}
			if f.importErr == nil {
				names = append(names, "e2e/imported:fixture", f.danglingID)
			}
			if strings.HasPrefix(importID, "sha256:") && len(importID) == 71 {
				names = append(names, "e2e/swagger-import:v"+v, importID[7:19])
			}
			for _, name := range names {
				get("/images/"+name+"/json", 200)
				get("/images/"+name+"/json?manifests=1", 200)
			}
			hostJSON, _ := json.Marshal(f.host)
			otherJSON, _ := json.Marshal(f.other)
			get("/images/"+f.ref("e2e/multi:1.0")+"/json?platform="+url.QueryEscape(string(hostJSON)), 200)
			if v == maxAPI {
				get("/images/"+f.ref("e2e/multi:1.0")+"/json?platform="+url.QueryEscape(string(otherJSON)), 404)
				get("/images/"+f.ref("e2e/multi:1.0")+"/json?manifests=1&platform="+url.QueryEscape(string(hostJSON)), 400)
			}
			get("/images/nosuch/json", 404)
			get("/images/Bad:Name/json", 400)

			// The lifecycle, without removing an image other tests use: a new name, its
			// history, the name removed again (the image keeps its first name), a prune
			// that matches nothing, and the errors.
			send := func(method, path string, want int) {
				t.Helper()
				status, data := direct(t, f, method, pre+path, nil)
				if status != want {
					t.Errorf("%s %s: status %d, want %d: %s", method, pre+path, status, want, data)
				}
			}
			swaggerRef := f.ref("e2e/swagger:v" + v)
			send(http.MethodPost, "/images/"+swaggerRef+"/tag?repo=e2e/swagger-tag&tag=v"+v, 201)
			get("/images/e2e/swagger-tag:v"+v+"/history", 200)
			get("/images/"+f.ref("e2e/multi:1.0")+"/history", 200)
			get("/images/"+f.ref("e2e/multi:1.0")+"/history?platform="+url.QueryEscape(string(hostJSON)), 200)
			get("/images/"+f.ref("e2e/child:1")+"/history", 200)
			if f.importErr == nil {
				get("/images/"+f.danglingID+"/history", 200)
			}
			send(http.MethodDelete, "/images/e2e/swagger-tag:v"+v, 200)
			send(http.MethodDelete, "/images/nosuch", 404)
			send(http.MethodDelete, "/images/Bad:Name", 400)
			get("/images/nosuch/history", 404)
			send(http.MethodPost, "/images/Bad:Name/tag?repo=x", 404)
			send(http.MethodPost, "/images/nosuch/tag?repo=x", 404)
			send(http.MethodPost, "/images/"+swaggerRef+"/tag", 400)
			send(http.MethodPost, "/images/prune?filters="+url.QueryEscape(`{"label":["org.example.nosuch=1"]}`), 200)
			send(http.MethodPost, "/images/prune?filters="+url.QueryEscape(`{"color":["x"]}`), 400)
			get("/info", 200)
		})
	}
	for _, v := range []string{maxAPI, "1.41"} {
		for _, kind := range []string{"list", "inspect", "create", "remove", "tag", "prune", "history", "info"} {
			if f.val.validated(kind, v) == 0 {
				t.Errorf("no %s answer at API %s was validated", kind, v)
			}
		}
	}
	f.val.mu.Lock()
	defer f.val.mu.Unlock()
	whys := make([]string, 0, len(f.val.excused))
	for why := range f.val.excused {
		whys = append(whys, why)
	}
	slices.Sort(whys)
	for _, why := range whys {
		t.Logf("excused so far, %d violation(s) Docker's daemon commits too: %s", f.val.excused[why], why)
	}
}

// TestValidatorCatchesViolations holds the checking of answers to its word: a broken answer
// is reported, an excused violation only where its exception says, and a key from a newer
// API version in an older version's answer is caught by that version's document.
func TestValidatorCatchesViolations(t *testing.T) {
	v, err := newValidator()
	if err != nil {
		t.Fatal(err)
	}
	drain := func() []string {
		v.mu.Lock()
		defer v.mu.Unlock()
		var keys []string
		for _, p := range v.problems {
			keys = append(keys, p.key)
		}
		v.problems = nil
		return keys
	}
	summary := `{"Containers":0,"Created":1,"Id":"sha256:1","Labels":{},"ParentId":"","RepoDigests":[],"RepoTags":[],"SharedSize":-1,"Size":1%s}`
	manifests := `,"Manifests":[{"ID":"sha256:2","Descriptor":{"mediaType":"m","digest":"sha256:2","size":1},"Available":true,"Size":{"Content":1,"Total":1},"Kind":"image","ImageData":{"Platform":{"architecture":"amd64","os":"linux"},"Size":{"Unpacked":0},"Containers":null}}]`
	list := func(version string) endpoint {
		ep, _ := classify(http.MethodGet, "/v"+version+"/images/json")
		return ep
	}

	v.check(list(maxAPI), 200, []byte("["+fmt.Sprintf(summary, manifests)+"]"), "valid list")
	if ps := drain(); len(ps) != 0 {
		t.Errorf("a valid list (ImageData.Containers null is excused) is reported: %q", ps)
	}
	v.check(list(maxAPI), 200, []byte(`[{"Id":1,"Containers":null}]`), "broken list")
	if ps := drain(); len(ps) < 5 {
		t.Errorf("a broken list: %d problems %q, want the type, null and missing keys", len(ps), ps)
	}
	v.check(list(maxAPI), 200, []byte("["+fmt.Sprintf(summary, `,"VirtualSize":1`)+"]"), "1.56 with VirtualSize")
	if ps := drain(); len(ps) != 1 || !strings.Contains(ps[0], "$[*].VirtualSize: unknown") {
		t.Errorf("VirtualSize at 1.56: %q", ps)
	}
	v.check(list("1.41"), 200, []byte("["+fmt.Sprintf(summary, `,"VirtualSize":1,"Descriptor":{"mediaType":"m","digest":"d","size":1}`)+"]"), "1.41 with Descriptor")
	if ps := drain(); len(ps) != 1 || !strings.Contains(ps[0], "v1.41") || !strings.Contains(ps[0], "$[*].Descriptor: unknown") {
		t.Errorf("Descriptor at 1.41: %q", ps)
	}
	v.check(list("1.41"), 200, []byte("["+fmt.Sprintf(summary, "")+"]"), "1.41 without VirtualSize")
	if ps := drain(); len(ps) != 1 || !strings.Contains(ps[0], "$[*].VirtualSize: required") {
		t.Errorf("VirtualSize missing at 1.41: %q", ps)
	}

	inspect, _ := classify(http.MethodGet, "/v1.56/images/x/json")
	inspect41, _ := classify(http.MethodGet, "/v1.41/images/x/json")
	v.check(inspect41, 200, []byte(`{"Id":"sha256:1","Config":{"Cmd":null},"GraphDriver":{"Name":"","Data":null},"ContainerConfig":null,"VirtualSize":1}`), "1.41 inspect")
	if ps := drain(); len(ps) != 0 {
		t.Errorf("nulls Docker sends below 1.45/1.52 are reported at 1.41: %q", ps)
	}
	v.check(inspect, 200, []byte(`{"Id":"sha256:1","Config":{},"RootFS":{}}`), "1.56 inspect without a config")
	if ps := drain(); len(ps) != 0 {
		t.Errorf("RootFS {} after a platform delete (excused): %q", ps)
	}
	v.check(inspect, 200, []byte(`{"Id":"sha256:1","Config":{"Cmd":null}}`), "1.56 inspect")
	if ps := drain(); len(ps) != 1 || !strings.Contains(ps[0], "$.Config.Cmd: null") {
		t.Errorf("Cmd null at 1.56 (Docker omits it from 1.52): %q", ps)
	}

	create, _ := classify(http.MethodPost, "/v1.56/images/create")
	v.checkStream(create, []byte("{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1,\"total\":2,\"hidecounts\":true},\"id\":\"abc\"}\r\n{\"status\":\"x\",\"progress\":\"[==>]\"}\n"), "stream")
	ps := drain()
	slices.Sort(ps)
	if len(ps) != 2 || !strings.Contains(ps[0], "not terminated") || !strings.Contains(ps[1], "$.progress: unknown") {
		t.Errorf("stream with a bare \\n and the progress string Docker 29 no longer sends: %q", ps)
	}
	history, _ := classify(http.MethodGet, "/v1.56/images/reg/x:1@sha256:0/history")
	if history.kind != "history" || history.tmpl != "/images/{name}/history" {
		t.Errorf("classify history: %+v", history)
	}
	v.check(history, 200, []byte(`[{"Comment":"","Created":1,"CreatedBy":"","Id":"sha256:1","Size":0,"Tags":["x:1"]},{"Comment":"","Created":1,"CreatedBy":"","Id":"<missing>","Size":0,"Tags":null}]`), "history")
	if ps := drain(); len(ps) != 0 {
		t.Errorf("history with Tags null on a <missing> row (excused): %q", ps)
	}
	v.check(history, 200, []byte(`[{"Comment":"","Created":1,"CreatedBy":"","Size":0,"Tags":null}]`), "history without Id")
	if ps := drain(); len(ps) != 1 || !strings.Contains(ps[0], "$[*].Id: required") {
		t.Errorf("history row without Id: %q", ps)
	}
	prune, _ := classify(http.MethodPost, "/images/prune")
	v.check(prune, 200, []byte(`{"ImagesDeleted":null,"SpaceReclaimed":0}`), "empty prune")
	v.check(prune, 200, []byte(`{"ImagesDeleted":[{"Untagged":"sha256:1"},{"Deleted":"sha256:1"}],"SpaceReclaimed":10}`), "prune")
	if ps := drain(); len(ps) != 0 {
		t.Errorf("valid prune reports: %q", ps)
	}
	v.check(prune, 200, []byte(`{"ImagesDeleted":[{"Removed":"x"}],"SpaceReclaimed":"10"}`), "broken prune")
	if ps := drain(); len(ps) != 2 {
		t.Errorf("broken prune: %q, want an unknown key and a string SpaceReclaimed", ps)
	}
	tag, _ := classify(http.MethodPost, "/v1.41/images/a/b@sha256:0/tag")
	remove, _ := classify(http.MethodDelete, "/images/a/b/json")
	if tag.kind != "tag" || remove.kind != "remove" || remove.tmpl != "/images/{name}" {
		t.Errorf("classify tag %+v, remove %+v", tag, remove)
	}
	v.check(tag, 201, nil, "tag")
	v.checkHeaders(tag, 201, http.Header{"Api-Version": {maxAPI}}, "tag")
	v.check(remove, 200, []byte(`null`), "remove of nothing")
	if ps := drain(); len(ps) != 0 {
		t.Errorf("tag 201 and a null delete list (excused): %q", ps)
	}
	v.check(tag, 201, []byte(`{}`), "tag with a body")
	v.checkHeaders(tag, 201, http.Header{"Api-Version": {maxAPI}, "Content-Type": {"application/json"}}, "tag")
	if ps := drain(); len(ps) != 2 {
		t.Errorf("tag 201 with a body and a Content-Type: %q", ps)
	}
	v.check(create, 404, []byte(`{"msg":"x"}`), "error")
	if ps := drain(); !slices.ContainsFunc(ps, func(p string) bool { return strings.Contains(p, "$.message: required") }) {
		t.Errorf("error body without message: %q", ps)
	}
}
