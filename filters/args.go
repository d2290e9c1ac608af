package filters

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
)

// Keys of the image list filters, as accepted by moby's containerd image store.
const (
	// KeyDangling selects dangling ("true") or non-dangling ("false") images.
	KeyDangling = "dangling"
	// KeyLabel checks image config labels: "key", "key=value" or "key!=value".
	KeyLabel = "label"
	// KeyLabelNegated is the negated label check sent by `--filter label!=...`.
	KeyLabelNegated = "label!"
	// KeyBefore selects images created before the named image.
	KeyBefore = "before"
	// KeySince selects images created after the named image.
	KeySince = "since"
	// KeyReference selects images by a path.Match glob on their names.
	KeyReference = "reference"
	// KeyUntil selects images whose record was created before a timestamp.
	KeyUntil = "until"
)

// ImageListKeys returns the filter keys accepted by GET /images/json:
// dangling, label, label!, before, since, reference and until. The slice is
// freshly allocated on every call, so callers may modify it.
func ImageListKeys() []string {
	return []string{KeyDangling, KeyLabel, KeyLabelNegated, KeyBefore, KeySince, KeyReference, KeyUntil}
}

// Args holds parsed filter arguments: a mapping from a key to a set of values.
// In the map-of-bool wire shape every value carries a boolean, which Args
// keeps as received (it only matters for dangling).
//
// The zero value is empty and ready to use. Args is a small handle around a
// map: copies share their contents, so use [Args.Clone] before mutating an
// Args that is shared. Concurrent reads are safe; mutation is not.
type Args struct {
	fields map[string]map[string]bool
}

// KeyValuePair is one key and value, used to build an [Args] with [NewArgs].
type KeyValuePair struct {
	// Key is the filter key, for example "reference".
	Key string
	// Value is one value of the key, for example "alpine:*".
	Value string
}

// Arg returns the KeyValuePair of key and value.
func Arg(key, value string) KeyValuePair {
	return KeyValuePair{Key: key, Value: value}
}

// NewArgs returns an Args holding the given pairs. Pairs with the same key
// add values to the same set.
func NewArgs(pairs ...KeyValuePair) Args {
	a := Args{fields: map[string]map[string]bool{}}
	for _, p := range pairs {
		a.Add(p.Key, p.Value)
	}
	return a
}

// FromJSON parses the "filters" query parameter. The empty string (and JSON
// null) give an empty Args. The map-of-bool shape {"key":{"value":true}} is
// tried first, then the list shape {"key":["value"]}, whose values all become
// true. If neither shape parses, the error has class InvalidArgument and the
// text "invalid filter".
func FromJSON(s string) (Args, error) {
	if s == "" {
		return NewArgs(), nil
	}
	var fields map[string]map[string]bool
	if err := json.Unmarshal([]byte(s), &fields); err == nil {
		if fields == nil {
			fields = map[string]map[string]bool{}
		}
		return Args{fields: fields}, nil
	}
	var list map[string][]string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return NewArgs(), invalidFilter("", nil)
	}
	fields = make(map[string]map[string]bool, len(list))
	for k, values := range list {
		set := make(map[string]bool, len(values))
		for _, v := range values {
			set[v] = true
		}
		fields[k] = set
	}
	return Args{fields: fields}, nil
}

// ToJSON encodes a in the map-of-bool shape, with the booleans as held. An
// empty Args encodes as the empty string (not "{}"), which [FromJSON] reads
// back as an empty Args, so it can be used directly as a query parameter.
func (a Args) ToJSON() (string, error) {
	if len(a.fields) == 0 {
		return "", nil
	}
	b, err := json.Marshal(a.fields)
	if err != nil {
		return "", fmt.Errorf("filters: encoding arguments: %w", err)
	}
	return string(b), nil
}

// MarshalJSON encodes a in the map-of-bool shape; an empty Args is "{}".
func (a Args) MarshalJSON() ([]byte, error) {
	if len(a.fields) == 0 {
		return []byte("{}"), nil
	}
	return json.Marshal(a.fields)
}

// UnmarshalJSON decodes either wire shape, as [FromJSON] does.
func (a *Args) UnmarshalJSON(b []byte) error {
	parsed, err := FromJSON(string(b))
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}

// Add adds value to the set of key, with the boolean true.
func (a *Args) Add(key, value string) {
	if a.fields == nil {
		a.fields = map[string]map[string]bool{}
	}
	set := a.fields[key]
	if set == nil {
		set = map[string]bool{}
		a.fields[key] = set
	}
	set[value] = true
}

// Clone returns a deep copy of a.
func (a Args) Clone() Args {
	fields := make(map[string]map[string]bool, len(a.fields))
	for k, set := range a.fields {
		fields[k] = maps.Clone(set)
	}
	return Args{fields: fields}
}

// Get returns the values of key in sorted order, whatever their booleans.
// It returns an empty, non-nil slice when key has no values.
func (a Args) Get(key string) []string {
	values := slices.Collect(maps.Keys(a.fields[key]))
	if values == nil {
		return []string{}
	}
	slices.Sort(values)
	return values
}

// Contains reports whether key is present, even with no values
// (as in {"dangling":{}}).
func (a Args) Contains(key string) bool {
	_, ok := a.fields[key]
	return ok
}

// Keys returns the keys of a in sorted order.
func (a Args) Keys() []string {
	return slices.Sorted(maps.Keys(a.fields))
}

// Len returns the number of keys.
func (a Args) Len() int {
	return len(a.fields)
}

// Validate checks that every key of a is one of accepted. Otherwise it returns
// an InvalidArgument error "invalid filter '<key>'" for the first unknown key
// in sorted order (an empty key gives plain "invalid filter").
func (a Args) Validate(accepted []string) error {
	for _, k := range a.Keys() {
		if !slices.Contains(accepted, k) {
			return invalidFilter(k, nil)
		}
	}
	return nil
}

// WithLegacyName applies the legacy "filter" query parameter (an image name
// glob). If name is not empty and a has no "reference" key, it returns a copy
// of a with reference=name added; otherwise it returns a unchanged.
func (a Args) WithLegacyName(name string) Args {
	if name == "" || a.Contains(KeyReference) {
		return a
	}
	c := a.Clone()
	c.Add(KeyReference, name)
	return c
}

// boolValue reads key as a boolean the way moby's GetBoolOrDefault does:
// "1"/"true" and "0"/"false" count only when their boolean is true, and
// exactly one kind must be present.
func (a Args) boolValue(key string) (bool, error) {
	set := a.fields[key]
	if len(set) == 0 {
		return false, invalidFilter(key, nil)
	}
	isFalse := set["0"] || set["false"]
	isTrue := set["1"] || set["true"]
	if isFalse == isTrue {
		return false, invalidFilter(key, a.Get(key))
	}
	return isTrue, nil
}

// invalidFilter builds Docker's "invalid filter['<key>[=<values>]']" error
// with the InvalidArgument class.
func invalidFilter(key string, values []string) error {
	msg := "invalid filter"
	if key != "" {
		msg += " '" + key
		if values != nil {
			msg += fmt.Sprintf("=%s", values)
		}
		msg += "'"
	}
	return errdefs.ErrInvalidArgument.WithMessage(msg)
}

// BoolOrDefault reads key as a boolean the way moby's GetBoolOrDefault does (prune's
// dangling filter): def when the key is absent; otherwise exactly one value, "1" or
// "true" (any case) for true, "0" or "false" for false. Anything else is an
// InvalidArgument error "invalid filter '<key>=[<values>]'".
func (a Args) BoolOrDefault(key string, def bool) (bool, error) {
	set, ok := a.fields[key]
	if !ok {
		return def, nil
	}
	if len(set) == 1 {
		for v := range set {
			switch strings.ToLower(v) {
			case "1", "true":
				return true, nil
			case "0", "false":
				return false, nil
			}
		}
	}
	return false, invalidFilter(key, a.Get(key))
}

// Without returns a copy of a without key.
func (a Args) Without(key string) Args {
	c := a.Clone()
	delete(c.fields, key)
	return c
}
