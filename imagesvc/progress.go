package imagesvc

// ProgressFunc receives the progress of a pull or an import. Backends call it from one
// goroutine at a time, in the order of events; it must not block for long (a transport
// forwards the event and returns). A nil ProgressFunc discards events.
type ProgressFunc func(ProgressEvent)

// Report calls f with ev, if f is not nil.
func (f ProgressFunc) Report(ev ProgressEvent) {
	if f != nil {
		f(ev)
	}
}

// ProgressEvent is one progress message. With a nil Detail it is a plain message
// ({"status":...,"id":...} on the wire); with a Detail, a progress record, which always
// carries progressDetail (possibly {}).
type ProgressEvent struct {
	// ID is what the message is about: a layer (the first 12 hex digits of its digest), a
	// tag, or "" for messages about the whole operation.
	ID string
	// Status is the message, one of the Status constants or free text.
	Status string
	// Detail is set for progress records.
	Detail *ProgressDetail
	// Aux, when set, makes the event an auxiliary record of a push
	// ({"progressDetail":{},"aux":{...}}); ID and Status are then empty.
	Aux *PushAux
}

// ProgressDetail is the progress of one item.
type ProgressDetail struct {
	// Current is how much is done, in Units (bytes when Units is "").
	Current int64
	// Total is how much there is; 0 when unknown.
	Total int64
	// Start is the Unix time the item started, or 0.
	Start int64
	// HideCounts asks clients not to render counts.
	HideCounts bool
	// Units names the unit of Current and Total when they are not bytes ("s").
	Units string
}

// The statuses of Docker's pull and import streams. Messages with a variable part are
// built with the functions below.
const (
	StatusPullingFSLayer   = "Pulling fs layer"
	StatusWaiting          = "Waiting"
	StatusDownloading      = "Downloading"
	StatusDownloadComplete = "Download complete"
	StatusExtracting       = "Extracting"
	StatusPullComplete     = "Pull complete"
	StatusAlreadyExists    = "Already exists"
	StatusImporting        = "Importing"
)

// PullingFrom is the first message of a pull: Status "Pulling from <path>", ID the tag
// (or the full reference for a digest pull).
func PullingFrom(path, id string) ProgressEvent {
	return ProgressEvent{ID: id, Status: "Pulling from " + path}
}

// DigestStatus is the "Digest: <digest>" message that ends each pulled tag.
func DigestStatus(dgst string) ProgressEvent {
	return ProgressEvent{Status: "Digest: " + dgst}
}

// PullStatus is the final message of each pulled tag: "Status: Downloaded newer image for
// <ref>" when updated, "Status: Image is up to date for <ref>" otherwise.
func PullStatus(familiarRef string, updated bool) ProgressEvent {
	if updated {
		return ProgressEvent{Status: "Status: Downloaded newer image for " + familiarRef}
	}
	return ProgressEvent{Status: "Status: Image is up to date for " + familiarRef}
}
