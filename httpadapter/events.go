package httpadapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

// The media types of the events stream (Docker's api/types MediaTypeJSONLines, ...), in
// the order that breaks ties of the Accept negotiation.
const (
	mediaTypeJSONLines    = "application/jsonl"
	mediaTypeNDJSON       = "application/x-ndjson"
	mediaTypeJSONSequence = "application/json-seq"
)

var eventMediaTypes = []string{mediaTypeJSONLines, mediaTypeNDJSON, mediaTypeJSONSequence}

// events serves GET /events, the image part (spec docker-image-lifecycle.md §9): since
// and until (Unix timestamps), the filters, status 200 flushed at once, then each event
// the service's EventWatcher reports that passes the filters, one JSON document per
// event, flushed on its own. A past until ends the stream after the replay.
//
// When the service drops the watcher because the client fell too far behind (or the
// watch fails otherwise), one last record in the shape of an in-stream error of Docker's
// JSON streams ({"error":...,"errorDetail":{"message":...}}) is written and the stream
// ends: docker-py hands it to its caller as a dict with "error"; the Go SDK decodes it as
// an empty event and then sees the end of the stream (io.EOF). The client resumes with
// since set to the time of the last event it received.
//
// A live watch (no since) covers every event after the request's arrival, so a client
// that acts once the header is in misses none, as with Docker, which subscribes before it
// answers.
//
// A client that stops reading ends its stream once one write has waited
// Options.EventsWriteTimeout (a minute by default): the handler and the watcher do not
// stay behind a connection nobody reads.
func (h *handler) events(w *responseWriter, r *http.Request, c call) error {
	arrived := time.Now()
	watcher, ok := imagesvc.As[imagesvc.EventWatcher](h.svc)
	if !ok {
		return notImplemented("events")
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	since, err := filters.ParseUnixTimestamp(q.Get("since"))
	if err != nil {
		return errInvalid("invalid value for 'since': " + err.Error())
	}
	until, err := filters.ParseUnixTimestamp(q.Get("until"))
	if err != nil {
		return errInvalid("invalid value for 'until': " + err.Error())
	}
	if !until.IsZero() && until.Before(since) {
		return errInvalid(fmt.Sprintf("`since` time (%s) cannot be after `until` time (%s)", q.Get("since"), q.Get("until")))
	}
	args, err := filters.FromJSON(q.Get("filters"))
	if err != nil {
		return err
	}
	// Docker subscribes before it sends the header, so that a client that acts once the
	// header is in sees every later event. The header goes out here before the service's
	// watch is live: a watch with neither since nor until replays from the request's
	// arrival instead, which gives the same events. With until alone, Docker replays every
	// retained event up to until (moby daemon/events loadBufferedEvents, spec §9.2.2), which
	// the service does for a zero since: it is left as is.
	if since.IsZero() && until.IsZero() {
		since = arrived
	}

	legacy := versionLess(c.version, "1.52")
	contentType := mediaTypeJSONLines
	if legacy {
		contentType = "application/json"
	}
	if ct := matchAcceptStrict(r.Header.Values("Accept"), eventMediaTypes); ct != "" {
		contentType = ct
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	out := &eventWriter{w: w, rc: http.NewResponseController(w.ResponseWriter), timeout: h.cfg.eventsWrite,
		seq: contentType == mediaTypeJSONSequence}
	out.enc = json.NewEncoder(&out.buf) // escapes HTML, as Docker's stream encoder does
	if out.timeout < 0 {
		// No bound: the deadline http.Server.WriteTimeout set when the request arrived is
		// lifted once, or it would cut the stream (send sets and lifts deadlines only when
		// there is a bound).
		_ = out.rc.SetWriteDeadline(time.Time{})
	}
	if err := out.flush(); err != nil {
		h.clientStalled(r, out, err)
		return nil
	}
	hideCreate := versionLess(c.version, "1.46")
	err = watcher.WatchEvents(r.Context(), imagesvc.EventOptions{Since: since, Until: until}, func(ev imagesvc.Event) error {
		if hideCreate && ev.Action == imagesvc.EventCreate {
			return nil
		}
		if !args.MatchImageEvent(string(ev.Action), ev.ID, ev.Attributes) {
			return nil
		}
		if legacy {
			return out.write(legacyEventOf(ev))
		}
		return out.write(eventOf(ev))
	})
	switch {
	case errors.Is(err, errClientGone):
		h.clientStalled(r, out, err)
	case err != nil && r.Context().Err() == nil:
		h.cfg.log.LogAttrs(r.Context(), slog.LevelWarn, "httpadapter: the service ended an events stream", slog.Any("error", err))
		if err := out.write(errorFor(err)); err != nil {
			h.clientStalled(r, out, err)
		}
	}
	return nil
}

// clientStalled logs the end of a stream whose client stopped reading (a write that
// timed out; net/http has cancelled the request's context by then); a client that went
// away is not worth a line.
func (h *handler) clientStalled(r *http.Request, out *eventWriter, err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		h.cfg.log.LogAttrs(r.Context(), slog.LevelWarn, "httpadapter: an events client read nothing for the write timeout; its stream ends",
			slog.Duration("timeout", out.timeout), slog.String("remote", r.RemoteAddr))
	}
}

// errClientGone is the error of a write to a client that went away or stopped reading.
var errClientGone = errors.New("events: the client went away")

// eventWriter writes the records of one events stream. It holds one record at a time.
type eventWriter struct {
	w       *responseWriter
	rc      *http.ResponseController // of the server's writer: Flush reports errors
	timeout time.Duration            // per write; < 0: none
	seq     bool                     // application/json-seq: each record starts with 0x1E
	buf     bytes.Buffer
	enc     *json.Encoder
}

func (e *eventWriter) write(v any) error {
	e.buf.Reset()
	if e.seq {
		e.buf.WriteByte(0x1e)
	}
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	if e.buf.Cap() > 64<<10 {
		defer func() { e.buf = bytes.Buffer{} }() // a huge event does not stay with the connection
	}
	return e.send(e.buf.Bytes())
}

// flush sends what is buffered (the header) within the write timeout.
func (e *eventWriter) flush() error { return e.send(nil) }

// send writes b and flushes it within the write timeout, then lifts the deadline, so
// that the connection waits for the next event without one. An error wraps
// errClientGone (and os.ErrDeadlineExceeded when the client stopped reading).
func (e *eventWriter) send(b []byte) error {
	bounded := e.timeout > 0 && e.rc.SetWriteDeadline(time.Now().Add(e.timeout)) == nil
	var err error
	if len(b) > 0 {
		_, err = e.w.Write(b)
	}
	if err == nil {
		err = e.rc.Flush()
	}
	if err != nil {
		// The deadline stays: the connection is done with, and net/http's last write
		// (the end of the chunked body) fails at once instead of blocking.
		return fmt.Errorf("%w: %w", errClientGone, err)
	}
	if bounded {
		_ = e.rc.SetWriteDeadline(time.Time{})
	}
	return nil
}

// eventActor is events.Actor, keys in Docker's order.
type eventActor struct {
	ID         string            `json:"ID"`
	Attributes map[string]string `json:"Attributes"`
}

// eventMessage is events.Message at API ≥ 1.52, keys in Docker's order.
type eventMessage struct {
	Type     string     `json:"Type"`
	Action   string     `json:"Action"`
	Actor    eventActor `json:"Actor"`
	Scope    string     `json:"scope"`
	Time     int64      `json:"time"`
	TimeNano int64      `json:"timeNano"`
}

// legacyActor and legacyEventMessage are the message below API 1.52 (backFillLegacy):
// with id and status, keys sorted as compat.Wrap writes them.
type legacyActor struct {
	Attributes map[string]string `json:"Attributes"`
	ID         string            `json:"ID"`
}

type legacyEventMessage struct {
	Action   string      `json:"Action"`
	Actor    legacyActor `json:"Actor"`
	Type     string      `json:"Type"`
	ID       string      `json:"id"`
	Scope    string      `json:"scope"`
	Status   string      `json:"status"`
	Time     int64       `json:"time"`
	TimeNano int64       `json:"timeNano"`
}

func attributesOf(ev imagesvc.Event) map[string]string {
	if ev.Attributes == nil {
		return map[string]string{}
	}
	return ev.Attributes
}

func eventOf(ev imagesvc.Event) *eventMessage {
	t := ev.Time.UTC()
	return &eventMessage{
		Type: "image", Action: string(ev.Action),
		Actor: eventActor{ID: ev.ID, Attributes: attributesOf(ev)},
		Scope: "local", Time: t.Unix(), TimeNano: t.UnixNano(),
	}
}

func legacyEventOf(ev imagesvc.Event) *legacyEventMessage {
	t := ev.Time.UTC()
	return &legacyEventMessage{
		Action: string(ev.Action), Actor: legacyActor{Attributes: attributesOf(ev), ID: ev.ID},
		Type: "image", ID: ev.ID, Scope: "local", Status: string(ev.Action),
		Time: t.Unix(), TimeNano: t.UnixNano(),
	}
}

// matchAcceptStrict returns the one of offered that the Accept header values list
// exactly (no wildcards) with the highest quality, ties going to the first offered; ""
// when none is listed (moby's contenttype.MatchAcceptStrict).
func matchAcceptStrict(accept []string, offered []string) string {
	best, bestQ, bestRank := "", -1.0, len(offered)
	for _, header := range accept {
		for _, part := range strings.Split(header, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					q = f
				}
			}
			if q <= 0 {
				continue
			}
			for rank, o := range offered {
				if mt == o && (q > bestQ || (q == bestQ && rank < bestRank)) {
					best, bestQ, bestRank = o, q, rank
				}
			}
		}
	}
	return best
}
