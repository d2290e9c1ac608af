package sqlite

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkImagedPollers10k measures what pollers cost examples/imaged, run as a process of
// its own on the 10,000-image catalog: 10 clients each GET /images/json once a second
// (started a tenth of a second apart), for SQLITE_BENCH_POLL (default 5s; the README's
// figures are of 60s), with ("etag": each client sends the ETag of the answer it holds in
// If-None-Match, as a well-behaved monitoring agent does) and without ("plain")
// conditional requests. It reports the daemon's CPU time over that window (utime + stime
// from /proc/<pid>/stat) as a share of one core (%-core), and the answers of each kind.
// Each client's first list, before the window, is not counted. Nothing changes the catalog
// meanwhile. Goal (issue 12): under 1 % with If-None-Match, under 10 % without.
//
//	SQLITE_BENCH_POLL=60s go test -run '^$' -bench 'ImagedPollers10k' -benchtime 1x -timeout 30m ./backends/sqlite/
func BenchmarkImagedPollers10k(b *testing.B) {
	window := 5 * time.Second
	if d, err := time.ParseDuration(os.Getenv("SQLITE_BENCH_POLL")); err == nil && d > 0 {
		window = d
	}
	root := filepath.Join(b.TempDir(), "data")
	s, err := Open(root, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.seed(context.Background(), benchImages(b, benchImageCount)); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "imaged")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/imageapi/imageapi/examples/imaged").CombinedOutput(); err != nil {
		b.Fatalf("building imaged: %v\n%s", err, out)
	}
	for _, conditional := range []bool{true, false} {
		name := "plain"
		if conditional {
			name = "etag"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				pollImaged(b, bin, root, window, conditional)
			}
		})
	}
}

// pollImaged starts imaged on root, runs the 10 pollers for window and reports.
func pollImaged(b *testing.B, bin, root string, window time.Duration, conditional bool) {
	const clients = 10
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--data-root", root, "-H", "tcp://"+addr, "--log-level", "error")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	url := "http://" + addr + "/v1.56/images/json"
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + addr + "/_ping")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 400 {
			b.Fatalf("imaged did not answer: %v", err)
		}
		time.Sleep(25 * time.Millisecond)
	}

	// Each client's first list (the ETag it then holds), outside the window.
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	tags := make([]string, clients)
	for i := range tags {
		code, tag, err := poll(c, url, "")
		if err != nil || code != http.StatusOK {
			b.Fatalf("first list: %d %v", code, err)
		}
		if conditional {
			if tag == "" {
				b.Fatal("imaged sent no ETag")
			}
			tags[i] = tag
		}
	}

	var full, notModified atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	before := cpuTime(b, cmd.Process.Pid)
	start := time.Now()
	end := start.Add(window)
	for i := range clients {
		wg.Go(func() {
			next := start.Add(time.Duration(i) * time.Second / clients)
			for next.Before(end) {
				time.Sleep(time.Until(next))
				code, tag, err := poll(c, url, tags[i])
				if err != nil {
					errs <- err
					return
				}
				switch code {
				case http.StatusOK:
					full.Add(1)
					if conditional {
						tags[i] = tag
					}
				case http.StatusNotModified:
					notModified.Add(1)
				default:
					errs <- fmt.Errorf("status %d", code)
					return
				}
				next = next.Add(time.Second)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	used := cpuTime(b, cmd.Process.Pid) - before
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(100*used.Seconds()/elapsed.Seconds(), "%-core")
	b.ReportMetric(float64(full.Load()), "200s")
	b.ReportMetric(float64(notModified.Load()), "304s")
	b.ReportMetric(elapsed.Seconds(), "window-s")
}

// poll sends one list request, with If-None-Match when tag is set, reads the whole
// answer, and returns its status and ETag.
func poll(c *http.Client, url, tag string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if tag != "" {
		req.Header.Set("If-None-Match", tag)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, "", err
	}
	return resp.StatusCode, resp.Header.Get("ETag"), nil
}

// cpuTime returns the CPU time a process used so far: utime + stime of /proc/<pid>/stat,
// in clock ticks of 1/100 s (USER_HZ, 100 on Linux).
func cpuTime(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses and may hold spaces:
	// state is field 3, utime 14 and stime 15.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		b.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
