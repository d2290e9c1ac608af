package imagesvc

import (
	"context"
	"time"
)

// EventWatcher reports what happens to a service's images (GET /events, spec
// docker-image-lifecycle.md §9). It is an optional capability, like [Remover].
type EventWatcher interface {
	// WatchEvents calls fn with the image events of the service, one call at a time and in
	// the order they happened.
	//
	// When opts.Since or opts.Until is set it first replays the retained past events (at
	// least the last [EventsRetained]) whose time is within [Since, Until], oldest first. If
	// Until has passed it then returns nil. Otherwise it goes on with each new event as it
	// happens (live events are not checked against Since, as in Docker) until ctx is done,
	// when it returns ctx's error, or until Until passes, when it returns nil. An error from
	// fn ends the watch and is returned as is.
	//
	// Every image action the service performs emits Docker's event once it succeeded
	// (pull, push, tag, untag, delete, import, load, save; the table in spec §9.4), and a
	// backend that shares its store with other programs also reports the changes they make.
	//
	// A slow consumer never blocks the service: the events not yet taken by fn wait in a
	// buffer of [EventsBuffered]; a watcher that falls further behind is dropped and
	// WatchEvents returns an error of class ResourceExhausted wrapping [ErrEventsDropped].
	WatchEvents(ctx context.Context, opts EventOptions, fn func(Event) error) error
}

// EventsRetained is the number of past events an [EventWatcher] keeps for replay, as
// Docker does.
const EventsRetained = 256

// EventsBuffered is the number of live events an [EventWatcher] holds for one watcher
// whose callback has not taken them yet; past it the watcher is dropped.
const EventsBuffered = 1024

// ErrEventsDropped is wrapped by the error of [EventWatcher.WatchEvents] when the watcher
// fell behind by more than [EventsBuffered] events and was dropped. The caller resumes
// with Since set to the time of the last event it received.
var ErrEventsDropped = eventsDroppedError{}

type eventsDroppedError struct{}

func (eventsDroppedError) Error() string {
	return "events watcher fell behind and was dropped; resume with since"
}

// EventOptions select the events of [EventWatcher.WatchEvents].
type EventOptions struct {
	// Since, when set, replays the retained events from this time on.
	Since time.Time
	// Until, when set, replays the retained events up to this time and ends the watch at
	// it.
	Until time.Time
}

// EventAction is what happened to an image (Action on the wire).
type EventAction string

// The image actions (spec §9.4).
const (
	EventPull   EventAction = "pull"
	EventPush   EventAction = "push"
	EventTag    EventAction = "tag"
	EventUntag  EventAction = "untag"
	EventDelete EventAction = "delete"
	EventImport EventAction = "import"
	EventLoad   EventAction = "load"
	EventSave   EventAction = "save"
	EventCreate EventAction = "create"
)

// Event is one image event. Its Type on the wire is always "image" and its scope "local".
type Event struct {
	// Action is what happened.
	Action EventAction
	// ID is Actor.ID on the wire: the target digest, or the familiar reference for pull
	// and push (spec §9.4).
	ID string
	// Attributes are Actor.Attributes: the image's config labels where Docker sends them,
	// and "name". Never nil.
	Attributes map[string]string
	// Time is when the event happened (UTC, nanosecond precision).
	Time time.Time
}
