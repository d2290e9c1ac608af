package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
)

// debianPython is Debian's interpreter, the one python3-docker installs into (the python3
// first on PATH may be another one, without the package).
const debianPython = "/usr/bin/python3"

// dockerPy returns Debian's python3 with docker-py importable, installing python3-docker
// when it is missing.
func dockerPy(t *testing.T) string {
	t.Helper()
	check := func() error { return exec.Command(debianPython, "-c", "import docker").Run() }
	if _, err := os.Stat(debianPython); err != nil || check() != nil {
		if err := testenv.AptInstall("python3-docker"); err != nil {
			testenv.Unavailable(t, "docker-py (Debian package python3-docker): %v", err)
		}
		if err := check(); err != nil {
			testenv.Unavailable(t, "python3-docker installed but %s cannot import docker: %v", debianPython, err)
		}
	}
	return debianPython
}

// pyError is how the script reports a docker-py exception.
type pyError struct {
	Class, Message string
}

// pyResult is what testdata/dockerpy_e2e.py prints.
type pyResult struct {
	APIVersion string `json:"api_version"`
	List       []struct {
		ID      string `json:"id"`
		Tags    []string
		Labels  map[string]string
		ShortID string `json:"short_id"`
	} `json:"list"`
	ListAll      []string `json:"list_all"`
	ListLabel    []string `json:"list_label"`
	ListDangling []string `json:"list_dangling"`
	ListName     []string `json:"list_name"`
	Get          struct {
		ID     string `json:"id"`
		Tags   []string
		Labels map[string]string
		Attrs  map[string]any
	} `json:"get"`
	GetShort   string   `json:"get_short"`
	GetMissing *pyError `json:"get_missing"`
	Pull       struct {
		ID   string `json:"id"`
		Tags []string
	} `json:"pull"`
	PullStream  []map[string]any `json:"pull_stream"`
	PullMissing *pyError         `json:"pull_missing"`
	Import      string           `json:"import"`
	Imported    struct {
		ID    string `json:"id"`
		Tags  []string
		Attrs map[string]any
	} `json:"imported"`
	ImportError *pyError `json:"import_error"`
	ImportBad   *pyError `json:"import_bad"`
}

func TestDockerPy(t *testing.T) {
	f := env(t)
	py := dockerPy(t)
	script, err := filepath.Abs(filepath.Join("testdata", "dockerpy_e2e.py"))
	if err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(f.tmp, "py-rootfs.tar")
	raw := testimages.Tar([]testimages.File{{Name: "py/"}, {Name: "py/hello", Data: []byte("from docker-py\n")}})
	if err := os.WriteFile(tarball, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	appRepo := f.ref("e2e/app")
	appID := f.app.Descriptor.Digest.String()
	pyRef := f.ref("e2e/py:1")
	f.removeWhenDone(t, pyRef, "e2e/imported:py", "e2e/imported:py-141")

	for _, c := range []struct{ version, want, suffix string }{
		{"auto", maxAPI, ""},
		{"1.41", "1.41", "-141"},
	} {
		t.Run("version="+c.version, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, py, script, f.hostURL(), f.reg, tarball, c.version, c.suffix)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + f.tmp}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("docker-py script: %v\n%s", err, stderr.String())
			}
			var r pyResult
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				t.Fatalf("docker-py script output: %v\n%s", err, stdout.String())
			}
			if r.APIVersion != c.want {
				t.Errorf("docker-py negotiated API %s, want %s", r.APIVersion, c.want)
			}

			// images.list
			i := slices.IndexFunc(r.List, func(e struct {
				ID      string `json:"id"`
				Tags    []string
				Labels  map[string]string
				ShortID string `json:"short_id"`
			}) bool {
				return e.ID == appID
			})
			if i < 0 {
				t.Errorf("images.list(): no %s", appID)
			} else if e := r.List[i]; !slices.Equal(e.Tags, []string{appRepo + ":latest", appRepo + ":v1", appRepo + ":v2"}) ||
				e.Labels[labelTeam] != "blue" || e.ShortID != appID[:17] {
				t.Errorf("images.list() app: %+v", e)
			}
			if len(r.ListAll) < len(r.List) {
				t.Errorf("images.list(all=True) has %d images, fewer than images.list()'s %d", len(r.ListAll), len(r.List))
			}
			for _, id := range []string{appID, f.child.Descriptor.Digest.String()} {
				if !slices.Contains(r.ListLabel, id) {
					t.Errorf("images.list(filters={label: team=blue}): %s missing from %v", id, r.ListLabel)
				}
			}
			if slices.Contains(r.ListLabel, f.multi.Descriptor.Digest.String()) || slices.Contains(r.ListLabel, f.base.Descriptor.Digest.String()) {
				t.Errorf("images.list(filters={label: team=blue}) lists images without the label: %v", r.ListLabel)
			}
			if f.importErr == nil && !slices.Contains(r.ListDangling, f.danglingID) {
				t.Errorf("images.list(filters={dangling: True}): %v misses %s", r.ListDangling, f.danglingID)
			}
			if !slices.Equal(r.ListName, []string{appID}) {
				t.Errorf("images.list(name=%s): %v", appRepo, r.ListName)
			}

			// images.get
			if r.Get.ID != appID || len(r.Get.Tags) != 3 || r.Get.Labels[labelTier] != "web" || r.Get.Attrs["Created"] != "2025-01-01T00:00:00Z" {
				t.Errorf("images.get(%s:v1): %+v", appRepo, r.Get)
			}
			if r.GetShort != appID {
				t.Errorf("images.get(short id %s): %s", appID[:17], r.GetShort)
			}
			if r.GetMissing == nil || r.GetMissing.Class != "ImageNotFound" || !strings.Contains(r.GetMissing.Message, `("No such image: nosuch:latest")`) {
				t.Errorf("images.get(nosuch): %+v, want ImageNotFound with Docker's message", r.GetMissing)
			}

			// images.pull
			if r.Pull.ID != f.pyImg.Descriptor.Digest.String() || !slices.Equal(r.Pull.Tags, []string{pyRef}) {
				t.Errorf("images.pull(%s): %+v", pyRef, r.Pull)
			}
			if n := len(r.PullStream); n == 0 || r.PullStream[n-1]["status"] != "Status: Image is up to date for "+pyRef {
				t.Errorf("api.pull(%s, stream=True) of a present image: %v", pyRef, r.PullStream)
			}
			if r.PullMissing == nil || !strings.HasSuffix(r.PullMissing.Class, "NotFound") {
				t.Errorf("images.pull of an unknown repository: %+v, want a NotFound error", r.PullMissing)
			}

			// api.import_image
			if r.ImportError != nil {
				t.Fatalf("api.import_image: %+v", r.ImportError)
			}
			if id := lastStatus([]byte(r.Import)); id != r.Imported.ID || !strings.HasPrefix(id, "sha256:") {
				t.Errorf("api.import_image answered %q; the image is %s", r.Import, r.Imported.ID)
			}
			cfg, _ := r.Imported.Attrs["Config"].(map[string]any)
			env, _ := cfg["Env"].([]any)
			labels, _ := cfg["Labels"].(map[string]any)
			if !slices.Contains(env, any("PY=1")) || !jsonEqual(cfg["Cmd"], []any{"python3"}) || labels[labelTier] != "py-import" ||
				!slices.Equal(r.Imported.Tags, []string{"e2e/imported:py" + c.suffix}) {
				t.Errorf("imported image: tags %v config %v", r.Imported.Tags, cfg)
			}
			if r.ImportBad == nil || !strings.Contains(r.ImportBad.Message, "RUN is not a valid change command") {
				t.Errorf("api.import_image with RUN: %+v", r.ImportBad)
			}
		})
	}
}

// pyAttempt is a docker-py call's result, or the exception it raised.
type pyAttempt struct {
	Value json.RawMessage
	Error *pyError
}

func (a *pyAttempt) UnmarshalJSON(b []byte) error {
	var e struct {
		Error *pyError `json:"error"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) && json.Unmarshal(b, &e) == nil && e.Error != nil {
		a.Error = e.Error
		return nil
	}
	a.Value = append(json.RawMessage(nil), b...)
	return nil
}

// pyLifecycle is what testdata/dockerpy_e2e.py lifecycle prints.
type pyLifecycle struct {
	APIVersion string   `json:"api_version"`
	ID         string   `json:"id"`
	Tags       []string `json:"tags"`
	Labelled   string   `json:"labelled"`
	Plain      string   `json:"plain"`
	Left       []string `json:"left"`

	Tag            pyAttempt `json:"tag"`
	TagAPI         pyAttempt `json:"tag_api"`
	TagMissing     pyAttempt `json:"tag_missing"`
	History        pyAttempt `json:"history"`
	HistoryAPI     pyAttempt `json:"history_api"`
	HistoryMissing pyAttempt `json:"history_missing"`
	RemoveName     pyAttempt `json:"remove_name"`
	RemoveConflict pyAttempt `json:"remove_conflict"`
	RemoveForce    pyAttempt `json:"remove_force"`
	RemoveMissing  pyAttempt `json:"remove_missing"`
	RemoveMod      pyAttempt `json:"remove_models"`
	PruneLabel     pyAttempt `json:"prune_label"`
	Prune          pyAttempt `json:"prune"`
	PruneEmpty     pyAttempt `json:"prune_empty"`
	PruneBad       pyAttempt `json:"prune_bad"`
	PruneAll       pyAttempt `json:"prune_all"`
}

// TestDockerPyLifecycle drives docker-py's tag, history, images.remove and images.prune on
// every backend, each on a daemon of its own.
func TestDockerPyLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture, d *daemon) {
		py := dockerPy(t)
		script, err := filepath.Abs(filepath.Join("testdata", "dockerpy_e2e.py"))
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(d.dataRoot)
		var tarballs []string
		for i := range 2 {
			p := filepath.Join(dir, fmt.Sprintf("py-%d.tar", i))
			raw := testimages.Tar([]testimages.File{{Name: "py/"}, {Name: fmt.Sprintf("py/%d", i), Data: []byte(d.backend)}})
			if err := os.WriteFile(p, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			tarballs = append(tarballs, p)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, py, script, "lifecycle", d.hostURL(), f.reg, tarballs[0], tarballs[1])
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + f.tmp}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("docker-py script: %v\n%s", err, stderr.String())
		}
		var r pyLifecycle
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
			t.Fatalf("docker-py script output: %v\n%s", err, stdout.String())
		}
		ref, id := f.ref("e2e/py:1"), f.pyImg.Descriptor.Digest.String()
		if r.APIVersion != maxAPI || r.ID != id {
			t.Errorf("docker-py: API %s, pulled %s", r.APIVersion, r.ID)
		}
		value := func(what string, a pyAttempt, want string) {
			t.Helper()
			if a.Error != nil || !jsonBytesEqual(a.Value, []byte(want)) {
				t.Errorf("%s: %s (error %+v), want %s", what, a.Value, a.Error, want)
			}
		}
		failure := func(what string, a pyAttempt, class, msg string) {
			t.Helper()
			if a.Error == nil || a.Error.Class != class || !strings.Contains(a.Error.Message, msg) {
				t.Errorf("%s: %s (error %+v), want %s with %q", what, a.Value, a.Error, class, msg)
			}
		}

		// tag answers True for a 201.
		value("Image.tag", r.Tag, "true")
		value("api.tag", r.TagAPI, "true")
		failure("api.tag(nosuch)", r.TagMissing, "ImageNotFound", "No such image: nosuch:latest")
		if want := []string{ref, "lc/py:second", "lc/py:tagged"}; !slices.Equal(r.Tags, want) {
			t.Errorf("tags after tagging: %v, want %v", r.Tags, want)
		}

		// history: every row with Docker's keys; the names on the first.
		_, cfg, err := f.pyImg.Manifest(f.pyImg.Descriptor.Digest)
		if err != nil {
			t.Fatal(err)
		}
		var rows []map[string]any
		if err := json.Unmarshal(r.History.Value, &rows); err != nil || r.History.Error != nil || len(rows) != len(cfg.History) {
			t.Errorf("Image.history(): %s %+v, want %d rows", r.History.Value, r.History.Error, len(cfg.History))
		} else {
			first := rows[0]
			if first["Id"] != id || !jsonEqual(first["Tags"], []any{ref, "lc/py:second", "lc/py:tagged"}) ||
				first["Created"] != float64(cfg.History[len(cfg.History)-1].Created.Unix()) || first["CreatedBy"] != cfg.History[len(cfg.History)-1].CreatedBy ||
				len(first) != 6 {
				t.Errorf("Image.history() first row: %v", first)
			}
		}
		if !jsonBytesEqual(r.History.Value, r.HistoryAPI.Value) {
			t.Errorf("api.history(%s) %s differs from Image.history() %s", ref, r.HistoryAPI.Value, r.History.Value)
		}
		failure("api.history(nosuch)", r.HistoryMissing, "ImageNotFound", "No such image: nosuch:latest")

		// remove
		value("api.remove_image(lc/py:tagged)", r.RemoveName, `[{"Untagged":"lc/py:tagged"}]`)
		failure("images.remove(id)", r.RemoveConflict, "APIError",
			"conflict: unable to delete "+id[7:19]+" (must be forced) - image is referenced in multiple repositories")
		value("api.remove_image(id, force=True, noprune=True)", r.RemoveForce,
			`[{"Untagged":"`+ref+`"},{"Untagged":"lc/py:second"},{"Deleted":"`+id+`"}]`)
		failure("images.remove(nosuch)", r.RemoveMissing, "ImageNotFound", "No such image: nosuch:latest")
		value("images.remove(pulled again)", r.RemoveMod, "null")

		// prune
		value("images.prune(label)", withoutSpace(t, r.PruneLabel), `{"ImagesDeleted":[{"Untagged":"`+r.Labelled+`"},{"Deleted":"`+r.Labelled+`"}]}`)
		value("images.prune()", withoutSpace(t, r.Prune), `{"ImagesDeleted":[{"Untagged":"`+r.Plain+`"},{"Deleted":"`+r.Plain+`"}]}`)
		value("images.prune() again", r.PruneEmpty, `{"ImagesDeleted":null,"SpaceReclaimed":0}`)
		failure("images.prune(color)", r.PruneBad, "APIError", "invalid filter 'color'")
		value("images.prune(dangling=False)", withoutSpace(t, r.PruneAll), `{"ImagesDeleted":[{"Untagged":"`+ref+`"},{"Deleted":"`+id+`"}]}`)
		if len(r.Left) != 0 {
			t.Errorf("images left after pruning every unused image: %v", r.Left)
		}
		if left := d.blobs(t); len(left) != 0 {
			t.Errorf("after every image was removed the store holds %d blobs: %v", len(left), left)
		}
	})
}

// withoutSpace checks that a prune report reclaimed some space and returns it without
// SpaceReclaimed.
func withoutSpace(t *testing.T, a pyAttempt) pyAttempt {
	t.Helper()
	if a.Error != nil {
		return a
	}
	var m map[string]any
	if err := json.Unmarshal(a.Value, &m); err != nil {
		t.Errorf("prune report %s: %v", a.Value, err)
		return a
	}
	if n, _ := m["SpaceReclaimed"].(float64); n <= 0 {
		t.Errorf("prune report %s: no space reclaimed", a.Value)
	}
	delete(m, "SpaceReclaimed")
	b, _ := json.Marshal(m)
	return pyAttempt{Value: b}
}

// jsonBytesEqual reports whether two JSON texts hold the same value.
func jsonBytesEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return jsonEqual(x, y)
}
