package main

// The events benchmark of issue 12: 100 clients watch GET /events over HTTP (real TCP
// connections to the adapter, one each), one image is pulled, and the time from the
// pull's commit (the event's timeNano, stamped by the backend when it records the image)
// to the moment the last of the 100 clients has read and decoded the event is reported:
//
//	go test -run '^$' -bench 'EventsFanout' -benchmem -benchtime 20x -count 3 ./examples/imaged/
//
// ms/last-event is that time averaged over the pulls (ms/last-event-p50 its median, which
// a busy machine's pauses move less), ms/first-event the mean for the first client; ns/op
// is the whole pull as its client sees it, and B/op and allocs/op count the whole process
// (the 100 clients' decoding included). The event's time is stamped when the backend
// publishes it, right after the pull's commit. On SQLite and on containerd
// (when a containerd can be started; skipped otherwise). Nothing here runs without -bench.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/imageapi/imageapi/backends/containerd"
	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/containerdtest"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

const eventSubscribers = 100

func BenchmarkEventsFanout(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		reg := testregistry.New(b, testregistry.Options{})
		store, err := sqlite.Open(b.TempDir(), sqlite.Options{Insecure: []string{reg.Host()}})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close() })
		benchEventsFanout(b, reg, store)
	})
	b.Run("containerd", func(b *testing.B) {
		reg := testregistry.New(b, testregistry.Options{})
		d := containerdtest.Shared(b, containerdtest.Options{})
		store, err := containerd.New(context.Background(), containerd.Options{
			Address: d.Address(), Namespace: "bench-events", Snapshotter: d.Snapshotter(),
			Insecure: []string{reg.Host()}, LocalPull: true,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close() })
		benchEventsFanout(b, reg, store)
	})
}

// received is one client's reading of one event.
type received struct {
	name string
	at   time.Time // when the client had decoded it
	nano int64     // the event's timeNano: the commit
}

func benchEventsFanout(b *testing.B, reg *testregistry.Registry, svc imagesvc.Service) {
	img, err := testimages.DockerSchema2(testimages.Config{Seed: 12})
	if err != nil {
		b.Fatal(err)
	}
	// One tag per pull (and one to warm up): each pull records a new name.
	for i := range b.N + 1 {
		if err := reg.Put("bench/events", "t"+strconv.Itoa(i), img); err != nil {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(httpadapter.New(svc, httpadapter.Options{}))
	b.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The clients: each its own connection, live (no since), reading as the Go SDK does
	// (one JSON object per line).
	tr := &http.Transport{MaxIdleConnsPerHost: eventSubscribers, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	q := url.Values{"filters": {`{"type":["image"],"event":["pull"]}`}}
	got := make(chan received, eventSubscribers*4)
	var wg sync.WaitGroup
	for range eventSubscribers {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1.52/events?"+q.Encode(), nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			dec := json.NewDecoder(bufio.NewReader(resp.Body))
			for {
				var ev struct {
					Actor    struct{ Attributes map[string]string }
					TimeNano int64 `json:"timeNano"`
				}
				if err := dec.Decode(&ev); err != nil {
					return
				}
				select {
				case got <- received{name: ev.Actor.Attributes["name"], at: time.Now(), nano: ev.TimeNano}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()

	pull := func(i int) {
		u := srv.URL + "/v1.52/images/create?" + url.Values{"fromImage": {reg.Host() + "/bench/events"}, "tag": {"t" + strconv.Itoa(i)}}.Encode()
		resp, err := hc.Post(u, "", nil)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("pull: %s", resp.Status)
		}
	}
	// collect waits for the event of pull i at every client and returns the latencies
	// from its commit, sorted.
	collect := func(i int) []time.Duration {
		want := reg.Host() + "/bench/events"
		lat := make([]time.Duration, 0, eventSubscribers)
		timeout := time.After(time.Minute)
		for len(lat) < eventSubscribers {
			select {
			case r := <-got:
				if r.name != want {
					b.Fatalf("pull %d: event for %q, want %q", i, r.name, want)
				}
				lat = append(lat, r.at.Sub(time.Unix(0, r.nano)))
			case <-timeout:
				b.Fatalf("pull %d: %d of %d clients saw the event", i, len(lat), eventSubscribers)
			}
		}
		slices.Sort(lat)
		return lat
	}

	pull(b.N) // warm-up: every client is live once it has seen this one
	collect(b.N)

	var first time.Duration
	lasts := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		pull(i)
		b.StopTimer()
		lat := collect(i)
		first += lat[0]
		lasts = append(lasts, lat[len(lat)-1])
		b.StartTimer()
	}
	b.StopTimer()
	var last time.Duration
	for _, l := range lasts {
		last += l
	}
	slices.Sort(lasts)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(last)/float64(b.N), "ms/last-event")
	b.ReportMetric(ms(lasts[len(lasts)/2]), "ms/last-event-p50")
	b.ReportMetric(ms(first)/float64(b.N), "ms/first-event")
}
