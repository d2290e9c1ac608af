// Package filters parses, validates and evaluates the filter arguments of
// Docker Engine's image list endpoint (GET /images/json), with the exact
// behaviour of moby's containerd image store.
//
// # Wire grammar
//
// The "filters" query parameter is a JSON object in one of two shapes. The
// map-of-bool shape is tried first and the list shape is the fallback; both
// are accepted on every API version:
//
//	filters      := "" | "null" | map-of-bool | list
//	map-of-bool  := '{' [ key ':' value-set { ',' key ':' value-set } ] '}'
//	value-set    := 'null' | '{' [ value ':' bool { ',' value ':' bool } ] '}'
//	list         := '{' [ key ':' value-list { ',' key ':' value-list } ] '}'
//	value-list   := 'null' | '[' [ value { ',' value } ] ']'
//	key, value   := JSON string
//
// The empty string means "no filters". Anything else that is neither shape
// (for example {"dangling":true}) is rejected with "invalid filter". The
// booleans of the map-of-bool shape are kept as received but only matter for
// the dangling key (see below); every other key uses the set of value strings.
//
// The legacy "filter" query parameter (an image name glob, Docker API < 1.25
// and Hyper.sh) is folded in with [Args.WithLegacyName].
//
// # Keys of the image list
//
//	dangling     := "true" | "1" | "false" | "0"          ; case-sensitive
//	label        := label-key [ "!" ] [ "=" label-value ] ; split at the first "="
//	label!       := label-key [ "!" ] [ "=" label-value ]
//	reference    := glob                                   ; path.Match syntax
//	before       := image-ref                              ; name[:tag] | id | short id | name@digest
//	since        := image-ref
//	until        := duration | rfc3339 | rfc3339-local | date | date-zone | short-t | unix
//
//	duration     := Go time.ParseDuration syntax, except the value "0"
//	rfc3339      := 2006-01-02T15:04:05[.999999999]Z07:00
//	rfc3339-local:= 2006-01-02T15:04:05[.999999999]
//	date         := 2006-01-02
//	date-zone    := 2006-01-02Z07:00
//	short-t      := 2006-01-02T15[:04][Z07:00]
//	unix         := /\+?[0-9]+(\.[0-9]{0,20})?/            ; seconds[.fraction], UTC
//
// # Rules
//
// Different keys are ANDed. Within a key:
//
//   - reference: patterns are ORed. Each image name is parsed with
//     reference.ParseNormalizedNamed and a pattern matches when path.Match
//     accepts any of four targets: the familiar string with tag or digest
//     ("alpine:latest"), the familiar name ("alpine"), the canonical name with
//     the default tag ("docker.io/library/alpine:latest") and the canonical
//     name ("docker.io/library/alpine"). A name that does not parse is matched
//     as-is. A malformed pattern matches nothing. Dangling images and images
//     without names never match. The filter also trims an image's names to the
//     matching ones ([Matcher.MatchNames]).
//   - label and label!: every value is one check and all checks must pass on
//     the labels of at least one image config (one per platform). "key" requires
//     the label, "key=value" requires that value. The label! key, or a "!" at
//     the end of the label key inside the value ("foo!=bar"), negates the check:
//     label!=foo means absent, label!=foo=bar and label=foo!=bar mean "not equal
//     to bar" (an absent label satisfies it). Both negations cancel out
//     (label!=foo!=bar means foo=bar). Key plus value may be at most 4096 bytes.
//   - dangling: exactly one kind of value is allowed; a value only counts when
//     its boolean is true (so {"dangling":{"true":false}} is rejected).
//   - before and since: every value is an image resolved through
//     [CompileOptions.Resolve]; the image's config creation time must be
//     strictly before (before) or after (since) each of them.
//   - until: every value is a timestamp parsed by [ParseTimestamp]; the time
//     the image record was created locally must be strictly before each of
//     them. This is the containerd store's behaviour, not the graphdriver one,
//     which compares the config creation time.
//
// Unknown keys are rejected by [Args.Validate] with "invalid filter '<key>'";
// [Compile] validates the values of the known keys and ignores other keys.
//
// # Differences from moby
//
// Three corner cases are deliberately deterministic where moby is not, or
// depends on its storage layout: a malformed reference pattern only fails
// itself (moby may reject the image depending on map order); a dangling image
// never matches a reference filter (moby's "moby-dangling@<digest>" record
// name would match "*"); and an image without any config labels map is
// evaluated as one config without labels.
//
// # Events
//
// The filters of GET /events are evaluated by [Args.MatchImageEvent] with the
// rules of moby's daemon/events/filter.go, built on [Args.ExactMatch],
// [Args.FuzzyMatch] and [Args.MatchKVList]; its since and until parameters are
// read by [ParseUnixTimestamp], the same Unix-seconds reader the until filter
// of the image list falls back to.
//
// # Errors
//
// Every error returned by this package carries a containerd errdefs class
// (except [ParseUnixTimestamp]'s, which its caller words and classes):
// errdefs.IsInvalidArgument holds for malformed input, and the message text is
// exactly the one Docker sends. Errors of the Resolve callback (NotFound for an
// unknown before/since image) are passed through unchanged.
package filters
