package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// dockerCLI is where the machine image ships the docker CLI; Debian's docker.io is the
// fallback.
const dockerCLI = "/usr/local/bin/docker"

// The docker CLI, through imaged (--backend plugin) and this plugin, against a registry on
// 127.0.0.1: pull with credentials, list, inspect, import, Docker's error texts, a plugin
// killed under imaged, and no plugin process left once imaged stops.
func TestDockerCLIThroughImagedAndPlugin(t *testing.T) {
	docker := testenv.Binary(t, "docker", "docker.io", dockerCLI)
	imaged := plugintest.Build(t, "github.com/imageapi/imageapi/examples/imaged")
	plugin := plugintest.Build(t, ".")
	tmp := t.TempDir()

	reg := testregistry.New(t, testregistry.Options{Users: map[string]string{"alice": "s3cret-pw"}, Private: "private/"})
	img, err := testimages.DockerSchema2(testimages.Config{
		Labels: map[string]string{"com.example.e2e": "plugin"},
		Cmd:    []string{"/bin/sh"},
		Layers: [][]testimages.File{{{Name: "etc/", Typeflag: '5', Mode: 0o755}, {Name: "etc/e2e", Data: []byte("plugin\n"), Mode: 0o644}}},
	})
	require.NoError(t, err)
	require.NoError(t, reg.Put("e2e/app", "1", img))
	require.NoError(t, reg.Put("private/app", "1", img))
	id := img.Descriptor.Digest.String()

	// imaged, with the plugin as its backend.
	sock := filepath.Join(tmp, "imaged.sock")
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, imaged,
		"-H", "unix://"+sock,
		"--data-root", filepath.Join(tmp, "data"),
		"--insecure-registry", reg.Host(),
		"--backend", "plugin", "--plugin", plugin,
		"--log-level", "debug")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("imaged's log:\n%s", logs.String())
		}
	})
	require.Eventually(t, func() bool {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 60*time.Second, 50*time.Millisecond, "imaged listens")

	run := func(stdin []byte, args ...string) (string, string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, docker, args...)
		c.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + tmp,
			"DOCKER_CONFIG=" + filepath.Join(tmp, "docker-config"),
			"DOCKER_HOST=unix://" + sock, "DOCKER_CLI_HINTS=false", "NO_COLOR=1",
		}
		if stdin != nil {
			c.Stdin = bytes.NewReader(stdin)
		}
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
		}
		return stdout.String(), stderr.String(), code
	}
	ok := func(stdin []byte, args ...string) string {
		t.Helper()
		out, errOut, code := run(stdin, args...)
		require.Equal(t, 0, code, "docker %s:\n%s%s", strings.Join(args, " "), out, errOut)
		return out
	}

	// Pull: progress streamed through the plugin, to the CLI.
	app := reg.Host() + "/e2e/app:1"
	start := time.Now()
	out := ok(nil, "pull", app)
	assert.Contains(t, out, "Pull complete")
	assert.Contains(t, out, "Digest: "+id)
	assert.Contains(t, out, "Status: Downloaded newer image for "+app)

	// Credentials cross for the one pull, and are in no log.
	// (Without them, the CLI would prompt for a login: the conformance suite checks that
	// refusal.) The CLI sends the credentials of its configuration with the pull (X-Registry-Auth).
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret-pw"))
	require.NoError(t, os.MkdirAll(filepath.Join(tmp, "docker-config"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "docker-config", "config.json"),
		[]byte(`{"auths":{"`+reg.Host()+`":{"auth":"`+auth+`"}}}`), 0o600))
	ok(nil, "pull", reg.Host()+"/private/app:1")
	assert.NotContains(t, logs.String(), "s3cret-pw")
	assert.NotContains(t, logs.String(), auth)

	// List and inspect.
	out = ok(nil, "images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
	assert.Contains(t, out, app+" "+id)
	out = ok(nil, "image", "inspect", "--format", `{{.Id}} {{index .Config.Labels "com.example.e2e"}} {{.Os}}/{{.Architecture}}`, app)
	assert.Equal(t, id+" plugin linux/amd64", strings.TrimSpace(out))

	// Import, streamed to the plugin in chunks, with changes.
	rootfs := testimages.Gzip(testimages.Tar([]testimages.File{{Name: "hello", Data: bytes.Repeat([]byte("x"), 3<<20), Mode: 0o644}}))
	imported := strings.TrimSpace(ok(rootfs, "import", "--change", "ENV A=1", "-", "e2e/imported:1"))
	assert.True(t, strings.HasPrefix(imported, "sha256:"), "%q", imported)
	out = ok(nil, "image", "inspect", "--format", "{{.Id}} {{.Config.Env}}", "e2e/imported:1")
	assert.Equal(t, imported+" [A=1]", strings.TrimSpace(out))

	t.Logf("pull, list, inspect and import took %s", time.Since(start))

	// Docker's error texts survive both boundaries.
	_, errOut, code := run(nil, "image", "inspect", "nosuch")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "No such image: nosuch:latest")
	_, errOut, code = run(nil, "import", "--change", "RUN true", "-", "e2e/bad:1")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "RUN is not a valid change command")

	// The plugin dies under imaged: the next request relaunches it.
	pluginPID := childOf(t, cmd.Process.Pid)
	require.NoError(t, syscall.Kill(pluginPID, syscall.SIGKILL))
	require.Eventually(t, func() bool {
		out, _, code := run(nil, "images", "--no-trunc", "--format", "{{.ID}}")
		return code == 0 && strings.Contains(out, id)
	}, 30*time.Second, 100*time.Millisecond, "imaged serves again after the plugin was killed")
	relaunched := childOf(t, cmd.Process.Pid)
	assert.NotEqual(t, pluginPID, relaunched)

	// imaged stops its plugin when it stops.
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("imaged did not stop")
	}
	require.Eventually(t, func() bool {
		return errors.Is(syscall.Kill(relaunched, 0), syscall.ESRCH)
	}, 10*time.Second, 20*time.Millisecond, "the plugin process outlived imaged")
}

// childOf returns the one child process of pid.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	var kids []int
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 2 && fields[1] == strconv.Itoa(pid) && fields[0] != "Z" {
			kids = append(kids, p)
		}
	}
	require.Len(t, kids, 1, "children of imaged (%d)", pid)
	return kids[0]
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
