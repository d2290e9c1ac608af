package filters

import (
	"fmt"
	"strings"
	"time"

	"github.com/distribution/reference"
)

// Docker's event filters (moby daemon/events/filter.go) and the primitives of moby's
// filters.Args they are built on. Unlike moby's, ExactMatch and FuzzyMatch look at the
// values of a key whatever their booleans, as [Args.Get] does: clients always send true.

// ExactMatch reports whether source is one of the values of key; true when key has no
// values (no filter on key), as moby's Args.ExactMatch.
func (a Args) ExactMatch(key, source string) bool {
	set := a.fields[key]
	if len(set) == 0 {
		return true
	}
	_, ok := set[source]
	return ok
}

// FuzzyMatch reports whether source is one of the values of key or starts with one of
// them; true when key has no values, as moby's Args.FuzzyMatch.
func (a Args) FuzzyMatch(key, source string) bool {
	if a.ExactMatch(key, source) {
		return true
	}
	for v := range a.fields[key] {
		if strings.HasPrefix(source, v) {
			return true
		}
	}
	return false
}

// MatchKVList reports whether every value of key, "k" or "k=v", is in sources: k present,
// with the value v when one is given. It is true when key has no values and false when
// sources is empty otherwise, as moby's Args.MatchKVList (the label filter of events).
func (a Args) MatchKVList(key string, sources map[string]string) bool {
	set := a.fields[key]
	if len(set) == 0 {
		return true
	}
	if len(sources) == 0 {
		return false
	}
	for v := range set {
		k, want, hasValue := strings.Cut(v, "=")
		got, ok := sources[k]
		if !ok || (hasValue && got != want) {
			return false
		}
	}
	return true
}

// MatchImageEvent reports whether an image event passes the filters of GET /events, with
// Docker's rules (moby daemon/events/filter.go): keys are ANDed and the values of one key
// ORed; keys are not validated, so unknown ones match everything. action is the event's
// action, id its actor's ID, attributes its actor's attributes ("name" among them).
//
//   - event: the action exactly, or by prefix when one of the values is a fuzzy one
//     (health_status, exec_create, exec_start);
//   - type: "image"; scope: "local";
//   - daemon, container, plugin, volume, network, node, service, secret, config: the ID
//     or the name, by prefix;
//   - image: the ID or the name, exactly, or either without its tag (familiar form);
//   - label: every "k" or "k=v" among the attributes.
func (a Args) MatchImageEvent(action, id string, attributes map[string]string) bool {
	if a.Len() == 0 {
		return true
	}
	name := attributes["name"]
	if set := a.fields["event"]; len(set) > 0 {
		_, health := set["health_status"]
		_, execCreate := set["exec_create"]
		_, execStart := set["exec_start"]
		fuzzy := health || execCreate || execStart
		if !(fuzzy && a.FuzzyMatch("event", action)) && !a.ExactMatch("event", action) {
			return false
		}
	}
	if !a.ExactMatch("type", "image") {
		return false
	}
	if a.Contains("scope") && !a.ExactMatch("scope", "local") {
		return false
	}
	for _, key := range []string{"daemon", "container", "plugin", "volume", "network", "node", "service", "secret", "config"} {
		if len(a.fields[key]) > 0 && !a.FuzzyMatch(key, id) && !a.FuzzyMatch(key, name) {
			return false
		}
	}
	if len(a.fields["image"]) > 0 {
		if !a.ExactMatch("image", id) && !a.ExactMatch("image", name) &&
			!a.ExactMatch("image", stripTag(id)) && !a.ExactMatch("image", stripTag(name)) {
			return false
		}
	}
	return a.MatchKVList("label", attributes)
}

// stripTag returns the familiar repository of s when it is a reference, else s (moby
// daemon/events/filter.go stripTag).
func stripTag(s string) string {
	ref, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return s
	}
	return reference.FamiliarName(ref)
}

// ParseUnixTimestamp parses the since and until parameters of GET /events as Docker does
// (moby's timestamp.ParseUnixTimestamp): "" is the zero time; otherwise "<seconds>" or
// "<seconds>.<fraction>", the fraction of at most 20 digits padded or truncated to
// nanoseconds. The time is in UTC. The error reads
// `invalid timestamp "<value>": <reason>`.
func ParseUnixTimestamp(value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := parseUnix(value)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid timestamp %q: %w", value, err)
	}
	return t, nil
}
