package main

import (
	"bufio"
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

	"github.com/moby/moby/client"

	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
)

// eventsBackends are the backends TestEvents runs on.
var eventsBackends = []string{"sqlite", "containerd", "plugin"}

// eventLine is what `docker events --format '{{json .}}'` prints of an image event.
type eventLine struct {
	Type   string
	Action string
	Actor  struct {
		ID         string
		Attributes map[string]string
	}
	TimeNano int64 `json:"timeNano"`
}

func (e eventLine) String() string { return e.Action + " " + e.Actor.Attributes["name"] }

// TestEvents: `docker events --filter type=image` (the real CLI, live) sees the events of
// a pull, tag, untag, delete, import, save and load in order; `docker events --since
// --until`, the Go SDK's Events and docker-py's events(decode=True) replay them.
func TestEvents(t *testing.T) {
	f := env(t)
	for _, b := range eventsBackends {
		t.Run(b, func(t *testing.T) { eventsE2E(t, f, startDaemon(t, f, b)) })
	}
}

func eventsE2E(t *testing.T, f *fixture, d *daemon) {
	bin := testenv.Binary(t, "docker", "docker.io", dockerCLI)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now().Add(-time.Second)
	unix := func(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }
	// --since: the replay covers the time until the CLI's watch is live, so nothing is
	// missed however late it connects; every event after it comes live.
	cmd := exec.CommandContext(ctx, bin, "events", "--since", unix(start), "--filter", "type=image", "--format", "{{json .}}")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + f.tmp, "DOCKER_CONFIG=" + filepath.Join(f.tmp, "docker-config"),
		"DOCKER_HOST=" + d.hostURL(), "DOCKER_CLI_HINTS=false"}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan eventLine, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev eventLine
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("docker events printed %q: %v", sc.Text(), err)
				continue
			}
			lines <- ev
		}
		close(lines)
	}()
	appRef := f.ref("e2e/app:v1")
	appID := f.app.Descriptor.Digest.String()
	rootfs := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(rootfs, testimages.Tar([]testimages.File{{Name: "etc/", Typeflag: '5', Mode: 0o755},
		{Name: "etc/hostname", Data: []byte("events\n"), Mode: 0o644}}), 0o600); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "saved.tar")

	d.mustDocker(t, f, "pull", "-q", appRef)
	d.mustDocker(t, f, "tag", appRef, "ev/app:1")
	d.mustDocker(t, f, "rmi", "ev/app:1")
	impID := strings.TrimSpace(d.mustDocker(t, f, "import", rootfs, "ev/imp:1").stdout)
	d.mustDocker(t, f, "save", "-o", archive, "ev/imp:1")
	d.mustDocker(t, f, "rmi", "ev/imp:1")
	d.mustDocker(t, f, "load", "-i", archive)
	until := time.Now().Add(time.Second)

	want := []string{
		"pull " + strings.TrimSuffix(appRef, ":v1"),
		"tag ev/app:1",
		"untag ev/app:1",
		"tag ev/imp:1", "import " + impID,
		"save " + impID,
		"untag ev/imp:1", "delete " + impID,
		"load " + impID,
	}
	var got []string
	var live []eventLine
	timeout := time.After(30 * time.Second)
	for len(got) < len(want) {
		select {
		case ev, ok := <-lines:
			if !ok {
				t.Fatalf("docker events ended: %s\ngot %q", stderr.String(), got)
			}
			got = append(got, ev.String())
			live = append(live, ev)
		case <-timeout:
			t.Fatalf("docker events: got %q, want %q\nstderr: %s", got, want, stderr.String())
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("docker events: got\n%q\nwant\n%q", got, want)
	}
	for _, ev := range live {
		if ev.Type != "image" {
			t.Errorf("event type %q", ev.Type)
		}
	}
	if live[0].Actor.ID != appRef || live[1].Actor.ID != appID {
		t.Errorf("IDs: pull %q (want %q), tag %q (want %q)", live[0].Actor.ID, appRef, live[1].Actor.ID, appID)
	}

	// Replays: the CLI with --since/--until (it ends by itself), legacy API too.
	for _, env := range [][]string{nil, {"DOCKER_API_VERSION=1.41"}} {
		r := docker(t, f, append([]string{"DOCKER_HOST=" + d.hostURL()}, env...), nil,
			"events", "--since", unix(start), "--until", unix(until), "--filter", "type=image", "--format", "{{.Action}} {{index .Actor.Attributes \"name\"}}")
		if r.code != 0 || !slices.Equal(outLines(r.stdout), want) {
			t.Errorf("docker events --since --until %v: %s\nwant %q", env, r, want)
		}
	}
	r := d.mustDocker(t, f, "events", "--since", unix(start), "--until", unix(until), "--filter", "event=untag", "--filter", "image=ev/app", "--format", "{{.Action}} {{.Actor.ID}}")
	if want := []string{"untag " + appID}; !slices.Equal(outLines(r.stdout), want) {
		t.Errorf("docker events --filter event=untag --filter image=ev/app: %q, want %q", outLines(r.stdout), want)
	}

	// The Go SDK.
	c, err := client.New(client.WithHost(d.hostURL()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res := c.Events(ctx, client.EventsListOptions{Since: unix(start), Until: unix(until)})
	var sdk []string
	for done := false; !done; {
		select {
		case ev := <-res.Messages:
			sdk = append(sdk, string(ev.Action)+" "+ev.Actor.Attributes["name"])
		case err := <-res.Err:
			if err != nil && !strings.Contains(err.Error(), "EOF") {
				t.Errorf("SDK Events: %v", err)
			}
			done = true
		}
	}
	if !slices.Equal(sdk, want) {
		t.Errorf("SDK Events: %q, want %q", sdk, want)
	}

	// The Go SDK, live, without since: Events returns as soon as the headers are in
	// (imaged and the proxy send them before any event), and an event right after them
	// comes, however late the backend's watch is live.
	liveCtx, liveCancel := context.WithTimeout(ctx, 20*time.Second)
	defer liveCancel()
	t0 := time.Now()
	watch := c.Events(liveCtx, client.EventsListOptions{Filters: make(client.Filters).Add("image", "ev/live")})
	if waited := time.Since(t0); waited > 5*time.Second {
		t.Errorf("SDK Events (live, nothing to replay) returned after %s, want at once", waited)
	}
	d.mustDocker(t, f, "tag", appRef, "ev/live:1")
	select {
	case ev := <-watch.Messages:
		if got := string(ev.Action) + " " + ev.Actor.Attributes["name"]; got != "tag ev/live:1" {
			t.Errorf("SDK Events (live): %q, want %q", got, "tag ev/live:1")
		}
	case err := <-watch.Err:
		t.Errorf("SDK Events (live): %v", err)
	}
	liveCancel()
	d.mustDocker(t, f, "rmi", "ev/live:1")

	// docker-py.
	py := dockerPy(t)
	script := `import sys, docker
c = docker.DockerClient(base_url=sys.argv[1])
for ev in c.events(since=float(sys.argv[2]), until=float(sys.argv[3]), decode=True):
    print(ev["Action"], ev["Actor"]["Attributes"]["name"])
`
	out, err := exec.CommandContext(ctx, py, "-c", script, d.hostURL(), unix(start), unix(until)).CombinedOutput()
	if err != nil || !slices.Equal(outLines(string(out)), want) {
		t.Errorf("docker-py events: %v\n%s\nwant %q", err, out, want)
	}
}
