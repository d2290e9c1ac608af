package filters

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// maxLabelSize bounds the key plus value of a label check, as containerd's
// labels.Validate does.
const (
	maxLabelSize   = 4096
	maxLabelKeyLog = 64
)

// Image is what a [Matcher] evaluates. Backends fill it from their catalog.
type Image struct {
	// ID is the image ID: the digest of the image's target (index or manifest).
	ID digest.Digest
	// Names are every name (record) of the image: references in tag or digest
	// form, familiar or normalized ("alpine:3.20",
	// "docker.io/library/alpine:3.20", "localhost:5000/x@sha256:..."). A name
	// that does not parse as a reference is matched as-is.
	Names []string
	// Dangling reports that no tag or digest name references the image.
	Dangling bool
	// Labels are the labels of each image config reachable from the image,
	// one map per platform config; attestation manifests are excluded. No
	// maps at all counts as one config without labels.
	Labels []map[string]string
	// Created is the "created" time of the config of the image's best
	// manifest, compared by before and since. The zero time means unknown,
	// which never passes before or since.
	Created time.Time
	// RecordCreated is when the image record was created locally (pull, tag
	// or import), compared by until, as Docker's containerd store does.
	RecordCreated time.Time
}

// CompileOptions carries what [Compile] needs besides the arguments. The zero
// value is usable for filters without before and since.
type CompileOptions struct {
	// Resolve returns the config creation time of the image named by ref,
	// the value of a before or since filter: name[:tag], full or short ID,
	// or name@digest, resolved as image inspect does. It must return an error
	// of class NotFound for an unknown image; Compile returns its errors
	// unchanged. A zero time means the image has no creation time, and the
	// value then filters nothing (as in Docker). When Resolve is nil, before
	// and since fail with an error of class NotImplemented.
	Resolve func(ctx context.Context, ref string) (time.Time, error)
	// Now is the clock for until durations; nil means time.Now. It is read
	// once per Compile.
	Now func() time.Time
	// Location is the zone of until values that carry none; nil means
	// time.Local. See [ParseTimestamp].
	Location *time.Location
}

// LabelCheck is one compiled label or label! value.
type LabelCheck struct {
	// Key is the label key, without a trailing "!".
	Key string
	// Value is the label value of the key=value form.
	Value string
	// HasValue reports the key=value form; otherwise the check is on the
	// presence of Key.
	HasValue bool
	// Negate inverts the check: the label must be absent, or must not have
	// Value (an absent label satisfies it). It is set by the label! key or a
	// "key!=value" value, and cleared when both are used.
	Negate bool
}

// Match reports whether the labels of one image config pass the check.
func (c LabelCheck) Match(labels map[string]string) bool {
	value, exists := labels[c.Key]
	if !c.HasValue {
		return exists != c.Negate
	}
	if !exists {
		return c.Negate
	}
	return (value == c.Value) != c.Negate
}

// Matcher is a compiled set of image list filters. It is immutable and safe
// for concurrent use. A nil *Matcher is empty and matches every image.
type Matcher struct {
	hasDangling bool
	dangling    bool
	refs        []string
	labels      []LabelCheck
	before      []time.Time
	since       []time.Time
	until       []time.Time
}

// Compile validates the values of a and compiles them into a Matcher. In
// Docker's order it resolves before and since through opts.Resolve, parses
// until with [ParseTimestamp], checks the label sizes and reads dangling;
// the first failure is returned. Compile does not reject unknown keys, it
// ignores them: call [Args.Validate] with [ImageListKeys] first.
func Compile(ctx context.Context, a Args, opts CompileOptions) (*Matcher, error) {
	m := &Matcher{}
	var err error
	if m.before, err = resolveAll(ctx, a, KeyBefore, opts.Resolve); err != nil {
		return nil, err
	}
	if m.since, err = resolveAll(ctx, a, KeySince, opts.Resolve); err != nil {
		return nil, err
	}

	if values := a.Get(KeyUntil); len(values) > 0 {
		now := time.Now()
		if opts.Now != nil {
			now = opts.Now()
		}
		for _, v := range values {
			t, err := ParseTimestamp(v, now, opts.Location)
			if err != nil {
				return nil, err
			}
			m.until = append(m.until, t)
		}
	}

	for _, key := range []string{KeyLabel, KeyLabelNegated} {
		for _, v := range a.Get(key) {
			c, err := compileLabel(key, v)
			if err != nil {
				return nil, err
			}
			m.labels = append(m.labels, c)
		}
	}

	if a.Contains(KeyDangling) {
		if m.dangling, err = a.boolValue(KeyDangling); err != nil {
			return nil, err
		}
		m.hasDangling = true
	}

	if refs := a.Get(KeyReference); len(refs) > 0 {
		m.refs = refs
	}
	return m, nil
}

func resolveAll(ctx context.Context, a Args, key string, resolve func(context.Context, string) (time.Time, error)) ([]time.Time, error) {
	values := a.Get(key)
	if len(values) == 0 {
		return nil, nil
	}
	if resolve == nil {
		return nil, errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf("filters: the %q filter needs CompileOptions.Resolve", key))
	}
	var times []time.Time
	for _, v := range values {
		t, err := resolve(ctx, v)
		if err != nil {
			return nil, err
		}
		if !t.IsZero() {
			times = append(times, t)
		}
	}
	return times, nil
}

func compileLabel(key, value string) (LabelCheck, error) {
	k, v, hasValue := strings.Cut(value, "=")
	if total := len(k) + len(v); total > maxLabelSize {
		shown := k
		if len(shown) > maxLabelKeyLog {
			shown = shown[:maxLabelKeyLog]
		}
		return LabelCheck{}, fmt.Errorf("label key and value length (%d bytes) greater than maximum size (%d bytes), key: %s: %w",
			total, maxLabelSize, shown, errdefs.ErrInvalidArgument)
	}
	negate := key == KeyLabelNegated
	if trimmed, ok := strings.CutSuffix(k, "!"); ok {
		k = trimmed
		negate = !negate
	}
	return LabelCheck{Key: k, Value: v, HasValue: hasValue, Negate: negate}, nil
}

// Empty reports whether m filters nothing: every image matches and
// [Matcher.MatchNames] returns its input.
func (m *Matcher) Empty() bool {
	return m == nil || (!m.hasDangling && len(m.refs) == 0 && len(m.labels) == 0 &&
		len(m.before) == 0 && len(m.since) == 0 && len(m.until) == 0)
}

// Match reports whether img passes every filter. A nil img is treated as a
// zero Image.
func (m *Matcher) Match(img *Image) bool {
	if m == nil {
		return true
	}
	if img == nil {
		img = &Image{}
	}
	if m.hasDangling && img.Dangling != m.dangling {
		return false
	}
	for _, b := range m.before {
		if img.Created.IsZero() || !img.Created.Before(b) {
			return false
		}
	}
	for _, s := range m.since {
		if img.Created.IsZero() || !img.Created.After(s) {
			return false
		}
	}
	for _, u := range m.until {
		if !img.RecordCreated.Before(u) {
			return false
		}
	}
	if len(m.labels) > 0 && !m.matchLabels(img.Labels) {
		return false
	}
	if len(m.refs) > 0 {
		if img.Dangling || !slices.ContainsFunc(img.Names, m.matchName) {
			return false
		}
	}
	return true
}

// matchLabels reports whether any config's labels pass all checks.
func (m *Matcher) matchLabels(configs []map[string]string) bool {
	if len(configs) == 0 {
		configs = []map[string]string{nil}
	}
	for _, labels := range configs {
		ok := true
		for _, c := range m.labels {
			if !c.Match(labels) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// MatchNames trims names to those that a reference pattern matches, as Docker
// trims RepoTags and RepoDigests. The returned strings are the ones passed in,
// in their order. Without a reference filter it returns names itself;
// otherwise it returns a new, non-nil slice.
func (m *Matcher) MatchNames(names []string) []string {
	if m == nil || len(m.refs) == 0 {
		return names
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if m.matchName(n) {
			out = append(out, n)
		}
	}
	return out
}

func (m *Matcher) matchName(name string) bool {
	targets := nameTargets(name)
	for _, pattern := range m.refs {
		for _, t := range targets {
			if ok, err := path.Match(pattern, t); err == nil && ok {
				return true
			}
		}
	}
	return false
}

// nameTargets returns the strings a reference pattern is tried against: the
// familiar string, the familiar name, the canonical string with the default
// tag and the canonical name; or the name itself when it does not parse.
func nameTargets(name string) []string {
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return []string{name}
	}
	return []string{
		reference.FamiliarString(ref),
		reference.FamiliarName(ref),
		reference.TagNameOnly(ref).String(),
		ref.Name(),
	}
}

// Dangling returns the value of the dangling filter; ok is false when there
// is none.
func (m *Matcher) Dangling() (dangling bool, ok bool) {
	if m == nil {
		return false, false
	}
	return m.dangling, m.hasDangling
}

// References returns the reference patterns, sorted; nil when there are none.
// An image matches when any of them matches any of its names.
func (m *Matcher) References() []string {
	if m == nil {
		return nil
	}
	return slices.Clone(m.refs)
}

// Labels returns the label checks (label values first, then label! values,
// each sorted by value); nil when there are none. An image matches when the
// labels of any one of its configs pass all of them.
func (m *Matcher) Labels() []LabelCheck {
	if m == nil {
		return nil
	}
	return slices.Clone(m.labels)
}

// Before returns the tightest before bound: images must have been created
// strictly before it. ok is false when there is none.
func (m *Matcher) Before() (time.Time, bool) {
	if m == nil {
		return time.Time{}, false
	}
	return bound(m.before, time.Time.Before)
}

// Since returns the tightest since bound: images must have been created
// strictly after it. ok is false when there is none.
func (m *Matcher) Since() (time.Time, bool) {
	if m == nil {
		return time.Time{}, false
	}
	return bound(m.since, time.Time.After)
}

// Until returns the tightest until bound: image records must have been
// created strictly before it. ok is false when there is none.
func (m *Matcher) Until() (time.Time, bool) {
	if m == nil {
		return time.Time{}, false
	}
	return bound(m.until, time.Time.Before)
}

// bound returns the element of ts for which tighter holds against all others.
func bound(ts []time.Time, tighter func(time.Time, time.Time) bool) (time.Time, bool) {
	if len(ts) == 0 {
		return time.Time{}, false
	}
	best := ts[0]
	for _, t := range ts[1:] {
		if tighter(t, best) {
			best = t
		}
	}
	return best, true
}
