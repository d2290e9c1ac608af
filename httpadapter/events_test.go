package httpadapter_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
)

// eventsService is the fixture with an event log.
type eventsService struct {
	*fixture
	*eventlog.Log
}

var (
	evTarget = digest.FromString("events target")
	evT0     = time.Unix(1767225600, 123456789).UTC()
)

// newEventsService returns a service whose log holds a pull, a tag (with a label that
// needs HTML escaping and one called "name"), a create and a delete, one second apart
// from evT0.
func newEventsService(t *testing.T, opts eventlog.Options) *eventsService {
	t.Helper()
	l := eventlog.New(opts)
	alpine, err := reference.ParseNormalizedNamed("alpine")
	require.NoError(t, err)
	fooV1, err := reference.ParseNormalizedNamed("foo:v1")
	require.NoError(t, err)
	labels := map[string]string{"maintainer": "<x>", "name": "overwritten"}
	evs := []imagesvc.Event{
		eventlog.Pull(alpine, labels),
		eventlog.Tag(evTarget, fooV1, labels),
		{Action: imagesvc.EventCreate, ID: evTarget.String(), Attributes: map[string]string{"name": evTarget.String()}},
		eventlog.Delete(evTarget, nil),
	}
	for i := range evs {
		evs[i].Time = evT0.Add(time.Duration(i) * time.Second)
	}
	l.Publish(evs...)
	return &eventsService{fixture: newFixture(), Log: l}
}

// pastEvents GETs target (a past until, so the stream ends) and returns the response and
// its lines.
func pastEvents(t *testing.T, h http.Handler, target string, hdr ...string) (*httptest.ResponseRecorder, []string) {
	t.Helper()
	w := request(t, h, http.MethodGet, target, nil, hdr...)
	body := strings.TrimSuffix(w.Body.String(), "\n")
	if body == "" {
		return w, nil
	}
	return w, strings.Split(body, "\n")
}

func untilNow(path string) string {
	return path + "since=0&until=" + url.QueryEscape(strconvTime(time.Now().Add(-time.Millisecond)))
}

func TestEventsWire(t *testing.T) {
	h := httpadapter.New(newEventsService(t, eventlog.Options{}), httpadapter.Options{})
	w, lines := pastEvents(t, h, untilNow("/v1.52/events?"))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/jsonl", w.Header().Get("Content-Type"))
	require.Len(t, lines, 4)
	assert.Equal(t, `{"Type":"image","Action":"pull","Actor":{"ID":"alpine:latest","Attributes":{"maintainer":"\u003cx\u003e","name":"alpine"}},"scope":"local","time":1767225600,"timeNano":1767225600123456789}`, lines[0])
	assert.Equal(t, `{"Type":"image","Action":"tag","Actor":{"ID":"`+evTarget.String()+`","Attributes":{"maintainer":"\u003cx\u003e","name":"foo:v1"}},"scope":"local","time":1767225601,"timeNano":1767225601123456789}`, lines[1])
	assert.Contains(t, lines[2], `"Action":"create"`)
	assert.Equal(t, `{"Type":"image","Action":"delete","Actor":{"ID":"`+evTarget.String()+`","Attributes":{"name":"`+evTarget.String()+`"}},"scope":"local","time":1767225603,"timeNano":1767225603123456789}`, lines[3])

	// Below 1.52: application/json, sorted keys with id and status; below 1.46 no create.
	w, lines = pastEvents(t, h, untilNow("/v1.51/events?"))
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	require.Len(t, lines, 4)
	assert.Equal(t, `{"Action":"tag","Actor":{"Attributes":{"maintainer":"\u003cx\u003e","name":"foo:v1"},"ID":"`+evTarget.String()+`"},"Type":"image","id":"`+evTarget.String()+`","scope":"local","status":"tag","time":1767225601,"timeNano":1767225601123456789}`, lines[1])
	_, lines = pastEvents(t, h, untilNow("/v1.45/events?"))
	require.Len(t, lines, 3)
	for _, l := range lines {
		assert.NotContains(t, l, `"create"`)
	}

	// Accept: exact types only, highest q, ties in jsonl, x-ndjson, json-seq order.
	for accept, want := range map[string]string{
		"application/json-seq":                          "application/json-seq",
		"application/x-ndjson, application/json-seq":    "application/x-ndjson",
		"application/json-seq, application/jsonl;q=0.5": "application/json-seq",
		"*/*": "application/json",
		"application/jsonl;q=1, application/x-ndjson;q=0.9, application/json-seq;q=0.5": "application/jsonl",
	} {
		w, _ := pastEvents(t, h, untilNow("/v1.41/events?"), "Accept", accept)
		assert.Equal(t, want, w.Header().Get("Content-Type"), accept)
	}
	w, _ = pastEvents(t, h, untilNow("/v1.52/events?"), "Accept", "application/json-seq")
	for _, rec := range strings.SplitAfter(strings.TrimSuffix(w.Body.String(), "\n"), "\n") {
		assert.True(t, strings.HasPrefix(rec, "\x1e{"), "%q", rec)
	}
}

func TestEventsFilters(t *testing.T) {
	h := httpadapter.New(newEventsService(t, eventlog.Options{}), httpadapter.Options{})
	actions := func(filters string) []string {
		t.Helper()
		w, lines := pastEvents(t, h, untilNow("/v1.52/events?filters="+url.QueryEscape(filters)+"&"))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var out []string
		for _, l := range lines {
			out = append(out, decodeObject(t, []byte(l))["Action"].(string))
		}
		return out
	}
	all := []string{"pull", "tag", "create", "delete"}
	assert.Equal(t, all, actions(`{"type":["image"]}`))
	assert.Empty(t, actions(`{"type":["container"]}`))
	assert.Equal(t, []string{"tag", "delete"}, actions(`{"event":{"tag":true,"delete":true}}`))
	assert.Equal(t, []string{"pull"}, actions(`{"image":["alpine"]}`), "pull named alpine, not the digests")
	assert.Equal(t, []string{"tag"}, actions(`{"image":["foo"]}`), "the tag stripped")
	assert.Equal(t, []string{"tag", "create", "delete"}, actions(`{"image":["`+evTarget.String()+`"]}`))
	assert.Equal(t, []string{"pull", "tag"}, actions(`{"label":["maintainer=<x>"]}`))
	assert.Empty(t, actions(`{"label":["maintainer=<x>","other"]}`), "labels are ANDed")
	assert.Equal(t, all, actions(`{"scope":["local"],"nonsense":["x"]}`), "unknown keys are ignored")
	assert.Empty(t, actions(`{"scope":["swarm"]}`))
	assert.Equal(t, []string{"pull"}, actions(`{"container":["alp"]}`), "other types match ID or name by prefix")

	w := request(t, h, http.MethodGet, "/v1.52/events?filters=nope", nil)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.JSONEq(t, `{"message":"invalid filter"}`, w.Body.String())
}

func TestEventsParameters(t *testing.T) {
	h := httpadapter.New(newEventsService(t, eventlog.Options{}), httpadapter.Options{})
	for target, msg := range map[string]string{
		"/events?since=x":                            `invalid value for 'since': invalid timestamp "x": invalid seconds "x": invalid syntax`,
		"/events?until=1.x":                          `invalid value for 'until': invalid timestamp "1.x": invalid nanoseconds: invalid character 'x' at position 0`,
		"/events?until=1." + strings.Repeat("1", 21): `invalid value for 'until': invalid timestamp "1.` + strings.Repeat("1", 21) + `": invalid nanoseconds: length 21 exceeds maximum 20`,
		"/events?since=20&until=10.5":                "`since` time (20) cannot be after `until` time (10.5)",
		"/events?since=10m":                          `invalid value for 'since': invalid timestamp "10m": invalid seconds "10m": invalid syntax`,
	} {
		w := request(t, h, http.MethodGet, target, nil)
		assert.Equal(t, http.StatusBadRequest, w.Code, target)
		assert.JSONEq(t, `{"message":`+quoteJSON(msg)+`}`, w.Body.String(), target)
	}
	// Since and until are inclusive, with nanoseconds padded.
	_, lines := pastEvents(t, h, "/v1.52/events?since=1767225601.123456789&until=1767225602.1234567890999")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], `"tag"`)
	assert.Contains(t, lines[1], `"create"`)

	// Without EventWatcher: 501 naming the operation.
	w := request(t, httpadapter.New(newFixture(), httpadapter.Options{}), http.MethodGet, "/events", nil)
	assert.Equal(t, http.StatusNotImplemented, w.Code)
	assert.Contains(t, w.Body.String(), "events is not implemented")
}

// TestEventsLive: the header comes at once, before any event; each event is flushed on
// its own; a watcher that falls behind ends with one error record.
func TestEventsLive(t *testing.T) {
	svc := newEventsService(t, eventlog.Options{Buffered: 4})
	srv := httptest.NewServer(httpadapter.New(svc, httpadapter.Options{}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1.52/events", nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req) // returns once the header is there: nothing published yet
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	rd := bufio.NewReader(resp.Body)
	for svc.Watchers() == 0 {
		time.Sleep(time.Millisecond)
	}
	svc.Publish(eventlog.Delete(evTarget, nil))
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, line, `"delete"`, "flushed on its own, without waiting for more")

	// The client stops reading: the service is not blocked, and the stream ends with an
	// error record once the watcher is dropped.
	big := strings.Repeat("x", 64<<10)
	for range 200 {
		svc.Publish(imagesvc.Event{Action: imagesvc.EventTag, ID: evTarget.String(), Attributes: map[string]string{"big": big}})
	}
	var last string
	for {
		l, err := rd.ReadString('\n')
		if err != nil {
			break
		}
		last = l
	}
	assert.Contains(t, last, `"error":"resource exhausted: events watcher fell behind`, last)
	assert.Contains(t, last, `"errorDetail":{"message":`)
}

func TestEventsSDK(t *testing.T) {
	svc := newEventsService(t, eventlog.Options{})
	c := sdkClient(t, svc, httpadapter.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := c.Events(ctx, client.EventsListOptions{Since: "0", Until: strconvTime(time.Now().Add(-time.Millisecond))})
	var got []events.Message
	for done := false; !done; {
		select {
		case ev := <-res.Messages:
			got = append(got, ev)
		case err := <-res.Err:
			require.ErrorContains(t, err, "EOF")
			done = true
		}
	}
	require.Len(t, got, 4)
	assert.Equal(t, events.Message{Type: "image", Action: "pull", Scope: "local",
		Actor: events.Actor{ID: "alpine:latest", Attributes: map[string]string{"maintainer": "<x>", "name": "alpine"}},
		Time:  evT0.Unix(), TimeNano: evT0.UnixNano()}, got[0])
}

func strconvTime(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }

func quoteJSON(s string) string {
	b, _ := jsonMarshalNoEscape(s)
	return strings.TrimSpace(string(b))
}

// TestEventsClientStopsReading: a real TCP client that stops reading (a small receive
// buffer, nothing read after the header) fills its connection; with a write timeout the
// stream ends once a write has waited that long, which ends the handler and the
// service's watcher. Without one (EventsWriteTimeout < 0) the handler stays blocked, as
// it did before the timeout existed: the test would see that.
func TestEventsClientStopsReading(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		ends    bool
		wait    time.Duration // for the handler to end
	}{{"timeout", 300 * time.Millisecond, true, 5 * time.Second}, {"no timeout", -1, false, time.Second}} {
		t.Run(tc.name, func(t *testing.T) {
			svc := newEventsService(t, eventlog.Options{Buffered: 4096})
			h := httpadapter.New(svc, httpadapter.Options{EventsWriteTimeout: tc.timeout})
			done := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(done)
				h.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)

			d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
				var serr error
				err := c.Control(func(fd uintptr) {
					serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
				})
				return errors.Join(err, serr)
			}}
			conn, err := d.Dial("tcp", srv.Listener.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			_, err = fmt.Fprintf(conn, "GET /v1.52/events HTTP/1.1\r\nHost: imaged\r\n\r\n")
			require.NoError(t, err)
			rd := bufio.NewReader(conn)
			status, err := rd.ReadString('\n')
			require.NoError(t, err)
			require.Contains(t, status, "200 OK")
			for svc.Watchers() == 0 {
				time.Sleep(time.Millisecond)
			}

			// Far more than the connection's buffers hold; nothing is read from now on.
			big := strings.Repeat("x", 64<<10)
			for range 400 {
				svc.Publish(imagesvc.Event{Action: imagesvc.EventTag, ID: evTarget.String(), Attributes: map[string]string{"big": big}})
			}
			select {
			case <-done:
				if !tc.ends {
					t.Fatal("the handler ended without a write timeout")
				}
				require.Eventually(t, func() bool { return svc.Watchers() == 0 }, 5*time.Second, time.Millisecond, "the watcher stays")
			case <-time.After(tc.wait):
				if tc.ends {
					t.Fatalf("the handler is still writing %s after the client stopped reading", tc.wait)
				}
				conn.Close() // the write fails, the handler ends
				<-done
			}
		})
	}
}

// slowWatch subscribes to its log only some time after WatchEvents is called, as a
// backend across a process boundary may.
type slowWatch struct{ *eventsService }

func (s slowWatch) WatchEvents(ctx context.Context, opts imagesvc.EventOptions, fn func(imagesvc.Event) error) error {
	time.Sleep(300 * time.Millisecond)
	return s.Log.WatchEvents(ctx, opts, fn)
}

// TestEventsLiveFromTheHeader: a client that watches without since and acts as soon as
// the header is in (the Go SDK's Events returns then) sees the events of what it did,
// however late the service's watch becomes live, and none from before its request.
func TestEventsLiveFromTheHeader(t *testing.T) {
	svc := newEventsService(t, eventlog.Options{})
	srv := httptest.NewServer(httpadapter.New(slowWatch{svc}, httpadapter.Options{}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1.52/events", nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Zero(t, svc.Watchers(), "the watch is live already: the test proves nothing")
	svc.Publish(eventlog.Delete(evTarget, nil))
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err, "the event published right after the header never came")
	assert.Contains(t, line, `"delete"`)
}

// TestEventsUntilAloneReplays: with until alone (in the future), Docker replays every
// retained event up to until before it streams the live ones (moby daemon/events
// loadBufferedEvents; spec §9.2.2): the events published before the request come first.
func TestEventsUntilAloneReplays(t *testing.T) {
	svc := newEventsService(t, eventlog.Options{})
	h := httpadapter.New(svc, httpadapter.Options{})
	until := time.Now().Add(300 * time.Millisecond)
	w, lines := pastEvents(t, h, "/v1.52/events?until="+url.QueryEscape(strconvTime(until)))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Len(t, lines, 4, "the retained events are replayed:\n%s", w.Body.String())
	assert.Contains(t, lines[0], `"pull"`)
	assert.Contains(t, lines[3], `"delete"`)
	assert.False(t, time.Now().Before(until), "the stream ended before until")
}

// TestEventsNoWriteTimeoutOutlivesServerWriteTimeout: with EventsWriteTimeout < 0 (no
// bound), an events stream is not cut by http.Server.WriteTimeout (options.go): an event
// published after the server's write timeout has passed still reaches the client.
func TestEventsNoWriteTimeoutOutlivesServerWriteTimeout(t *testing.T) {
	svc := newEventsService(t, eventlog.Options{})
	srv := httptest.NewUnstartedServer(httpadapter.New(svc, httpadapter.Options{EventsWriteTimeout: -1}))
	srv.Config.WriteTimeout = 200 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1.52/events", nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Eventually(t, func() bool { return svc.Watchers() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(3 * srv.Config.WriteTimeout)
	svc.Publish(eventlog.Delete(evTarget, nil))
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err, "the stream was cut by the server's write timeout")
	assert.Contains(t, line, `"delete"`)
}
