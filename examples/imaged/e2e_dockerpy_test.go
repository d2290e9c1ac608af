package main

import (
	"bytes"
	"context"
	"encoding/json"
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
