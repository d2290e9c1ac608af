package httpadapter

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/imageapi/imageapi/imagesvc"
)

// message is one message of a JSON stream (api/types/jsonstream.Message), keys in
// Docker's order.
type message struct {
	Stream         string          `json:"stream,omitempty"`
	Status         string          `json:"status,omitempty"`
	ProgressDetail *progressDetail `json:"progressDetail,omitempty"`
	ID             string          `json:"id,omitempty"`
	Aux            any             `json:"aux,omitempty"`
}

// progressDetail is api/types/jsonstream.Progress.
type progressDetail struct {
	Current    int64  `json:"current,omitempty"`
	Total      int64  `json:"total,omitempty"`
	Start      int64  `json:"start,omitempty"`
	HideCounts bool   `json:"hidecounts,omitempty"`
	Units      string `json:"units,omitempty"`
}

// errorMessage is an in-stream error, keys sorted as Docker's compatibility wrapper
// writes them.
type errorMessage struct {
	Error       string      `json:"error"`
	ErrorDetail errorDetail `json:"errorDetail"`
}

type errorDetail struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// stream writes a JSON message stream: each message followed by "\r\n" and flushed.
// Nothing, not even the header, is written before the first message, so that an error
// before it can still be answered with its own status code. It is safe for concurrent
// use; messages that arrive after close are dropped.
type stream struct {
	w *responseWriter

	mu      sync.Mutex
	started bool
	closed  bool
	buf     bytes.Buffer
	enc     *json.Encoder
}

func newStream(w *responseWriter) *stream {
	s := &stream{w: w}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	w.stream = s
	return s
}

// progress returns the ProgressFunc that writes events to s.
func (s *stream) progress() imagesvc.ProgressFunc {
	return func(ev imagesvc.ProgressEvent) {
		m := message{Status: ev.Status, ID: ev.ID}
		if ev.Aux != nil {
			// {"progressDetail":{},"aux":{...}}, as Docker's push writes it.
			m.Aux = auxFor(ev.Aux)
			m.ProgressDetail = &progressDetail{}
		}
		if d := ev.Detail; d != nil {
			m.ProgressDetail = &progressDetail{
				Current:    d.Current,
				Total:      d.Total,
				Start:      d.Start,
				HideCounts: d.HideCounts,
				Units:      d.Units,
			}
		}
		s.write(&m)
	}
}

// isStarted reports whether anything was written.
func (s *stream) isStarted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// status writes a plain status message.
func (s *stream) status(text string) {
	s.write(&message{Status: text})
}

// finish closes s after writing err, if any, as the final in-stream message. It reports
// false, writing nothing, when err is not nil and nothing was streamed: the caller then
// answers with an ordinary error. inStream false drops err even after the start.
func (s *stream) finish(err error, inStream bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true
	}
	s.closed = true
	if err == nil {
		return true
	}
	if !s.started {
		return false
	}
	if inStream {
		s.writeLocked(errorFor(err))
	}
	return true
}

func errorFor(err error) *errorMessage {
	msg := err.Error()
	return &errorMessage{Error: msg, ErrorDetail: errorDetail{Message: msg}}
}

func (s *stream) write(v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.writeLocked(v)
}

func (s *stream) writeLocked(v any) {
	s.buf.Reset()
	if err := s.enc.Encode(v); err != nil {
		return
	}
	b := s.buf.Bytes()
	b = append(b[:len(b)-1], '\r', '\n') // Encode ends with "\n"
	if !s.started {
		s.started = true
		s.w.Header().Set("Content-Type", "application/json")
		s.w.WriteHeader(http.StatusOK)
	}
	// Write errors mean the client went away; the request context tells the service.
	_, _ = s.w.Write(b)
	s.w.Flush()
}
