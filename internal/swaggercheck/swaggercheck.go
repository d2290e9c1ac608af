// Package swaggercheck validates JSON values against the schemas of a Swagger 2.0 document,
// such as moby's api/swagger.yaml, so that tests can hold a server's answers to the
// contract clients are generated from.
//
// A [Doc] is loaded once ([Load], [Parse]); a [Schema] is taken from it by definition name
// ([Doc.Definition]) or as the response schema of an operation ([Doc.Response]), and
// validates decoded JSON ([Schema.Validate]) or raw bytes ([Schema.ValidateJSON]). Every
// violation is reported, not only the first, each with the JSON path of the offending value
// ("$[0].Manifests[2].ImageData.Containers").
//
// The subset of Swagger 2.0 understood is what moby's document uses: $ref (to
// #/definitions/...), allOf, type (object, array, string, integer, number, boolean; integer
// is a JSON number without fraction or exponent), format (int32, int64, uint64, date-time
// and moby's spelling dateTime), required, properties, additionalProperties (a schema or
// false), items, enum, minimum, maximum, minLength, maxLength, minItems, maxItems and
// pattern, and the go-swagger extension x-nullable.
//
// # Null
//
// Swagger 2.0 has no null type. A JSON null is accepted only where the schema, or the $ref
// site that leads to it, says x-nullable: true, or where the schema constrains nothing at
// all. Everything else that is null is a violation of rule [RuleNull]: servers that send
// null for "empty" (Go's nil slices and maps) are told so, and a test that accepts it must
// say where and why.
//
// # Unknown properties
//
// Like JSON Schema, Swagger allows properties a schema does not declare. With
// [Options.DisallowUnknown], every property of an object whose schema declares properties
// (and no additionalProperties) must be one of them; this holds a server to one version of
// a document, where a key from another version is a mistake.
package swaggercheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// Doc is a parsed Swagger 2.0 document. It is safe for concurrent use.
type Doc struct {
	root map[string]any
	defs map[string]any

	mu       sync.Mutex
	patterns map[string]*regexp.Regexp
}

// Load reads and parses the Swagger document at path (YAML or JSON).
func Load(path string) (*Doc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Parse parses a Swagger 2.0 document (YAML or JSON).
func Parse(data []byte) (*Doc, error) {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse swagger: %w", err)
	}
	root, ok := normalize(raw).(map[string]any)
	if !ok {
		return nil, errors.New("parse swagger: the document is not a mapping")
	}
	if v, _ := root["swagger"].(string); v != "2.0" {
		return nil, fmt.Errorf("parse swagger: want swagger: \"2.0\", have %v", root["swagger"])
	}
	defs, _ := root["definitions"].(map[string]any)
	return &Doc{root: root, defs: defs, patterns: map[string]*regexp.Regexp{}}, nil
}

// normalize turns YAML's decoded values into JSON's: mappings with string keys (YAML allows
// others, such as the unquoted status codes under responses), numbers as float64.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	default:
		return v
	}
}

// Version returns the document's info.version ("1.56" for moby's api/swagger.yaml).
func (d *Doc) Version() string {
	info, _ := d.root["info"].(map[string]any)
	switch v := info["version"].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// Definitions returns the names of the document's definitions, sorted.
func (d *Doc) Definitions() []string {
	names := make([]string, 0, len(d.defs))
	for k := range d.defs {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Schema is one schema of a [Doc]: a definition or an operation's response.
type Schema struct {
	doc  *Doc
	s    map[string]any
	name string
}

// Name describes the schema: the definition name, or "METHOD path status".
func (s Schema) Name() string { return s.name }

// Definition returns the schema of the named definition ("ImageSummary").
func (d *Doc) Definition(name string) (Schema, error) {
	_, ok := d.defs[name].(map[string]any)
	if !ok {
		return Schema{}, fmt.Errorf("swagger %s: no definition %q", d.Version(), name)
	}
	return Schema{doc: d, s: map[string]any{"$ref": "#/definitions/" + name}, name: name}, nil
}

// Response returns the schema of the response with the given status (or the operation's
// "default" response) of the operation method (get, post, ...; any case) on path, the
// path template as the document writes it ("/images/{name}/json"). It fails if the
// operation or the response is missing or has no schema (streams, for one).
func (d *Doc) Response(method, path string, status int) (Schema, error) {
	name := fmt.Sprintf("%s %s %d", strings.ToUpper(method), path, status)
	paths, _ := d.root["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return Schema{}, fmt.Errorf("swagger %s: no operation %s %s", d.Version(), strings.ToUpper(method), path)
	}
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(status)].(map[string]any)
	if !ok {
		resp, ok = responses["default"].(map[string]any)
	}
	if !ok {
		return Schema{}, fmt.Errorf("swagger %s: %s: no response %d", d.Version(), name, status)
	}
	s, ok := resp["schema"].(map[string]any)
	if !ok {
		return Schema{}, fmt.Errorf("swagger %s: %s: the response has no schema", d.Version(), name)
	}
	return Schema{doc: d, s: s, name: name}, nil
}

// Rule names the kind of a [Violation].
type Rule string

// The rules a value can break.
const (
	RuleType     Rule = "type"     // wrong JSON type (integer vs number included)
	RuleNull     Rule = "null"     // null where the schema is not x-nullable
	RuleRequired Rule = "required" // a required property is missing
	RuleUnknown  Rule = "unknown"  // a property the schema does not declare (DisallowUnknown, or additionalProperties: false)
	RuleEnum     Rule = "enum"     // a value not in the enum
	RuleFormat   Rule = "format"   // a string or number that does not fit its format
	RuleRange    Rule = "range"    // minimum, maximum, lengths, item counts
	RulePattern  Rule = "pattern"  // a string that does not match its pattern
	RuleSchema   Rule = "schema"   // the schema itself is broken (unresolvable $ref, bad pattern)
)

// Violation is one way a value breaks a schema.
type Violation struct {
	// Path is the JSON path of the value: "$" is the whole value, then ".Key" or ["key"]
	// for object members and [i] for array elements.
	Path string
	// Rule is the kind of violation.
	Rule Rule
	// Message says what is wrong, with the value where useful.
	Message string
}

// String renders the violation as "path: rule: message".
func (v Violation) String() string { return v.Path + ": " + string(v.Rule) + ": " + v.Message }

// Options tune a validation.
type Options struct {
	// DisallowUnknown reports (rule [RuleUnknown]) the properties of an object that its
	// schema does not declare, where the schema declares properties and says nothing of
	// additionalProperties.
	DisallowUnknown bool
}

// ValidateJSON decodes data as one JSON value and validates it. It fails only if data is
// not JSON.
func (s Schema) ValidateJSON(data []byte, opts Options) ([]Violation, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s: decode: %w", s.name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: decode: more than one JSON value", s.name)
	}
	return s.Validate(v, opts), nil
}

// Validate validates v, a value decoded from JSON (numbers preferably as json.Number, so
// that integers and numbers can be told apart; float64 is accepted and is an integer when
// it has no fraction). Any other Go value is first converted through encoding/json.
func (s Schema) Validate(v any, opts Options) []Violation {
	if !isJSONValue(v) {
		data, err := json.Marshal(v)
		if err != nil {
			return []Violation{{Path: "$", Rule: RuleType, Message: "not representable as JSON: " + err.Error()}}
		}
		vs, err := s.ValidateJSON(data, opts)
		if err != nil {
			return []Violation{{Path: "$", Rule: RuleType, Message: err.Error()}}
		}
		return vs
	}
	c := checker{doc: s.doc, opts: opts}
	c.check(s.s, v, "$", false)
	return c.out
}

func isJSONValue(v any) bool {
	switch x := v.(type) {
	case nil, bool, string, json.Number, float64:
		return true
	case map[string]any:
		for _, e := range x {
			if !isJSONValue(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !isJSONValue(e) {
				return false
			}
		}
		return true
	}
	return false
}

type checker struct {
	doc  *Doc
	opts Options
	out  []Violation
}

func (c *checker) fail(path string, rule Rule, format string, args ...any) {
	c.out = append(c.out, Violation{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// resolve follows $ref chains from s. It reports whether any schema on the way (the $ref
// sites included) is x-nullable.
func (c *checker) resolve(s map[string]any, path string) (map[string]any, bool, bool) {
	nullable := false
	for range 64 {
		if b, _ := s["x-nullable"].(bool); b {
			nullable = true
		}
		ref, ok := s["$ref"].(string)
		if !ok {
			return s, nullable, true
		}
		name, found := strings.CutPrefix(ref, "#/definitions/")
		target, isMap := c.doc.defs[name].(map[string]any)
		if !found || !isMap {
			c.fail(path, RuleSchema, "unresolvable $ref %q", ref)
			return nil, nullable, false
		}
		s = target
	}
	c.fail(path, RuleSchema, "$ref cycle")
	return nil, nullable, false
}

// unconstrained reports whether s says nothing about a value.
func unconstrained(s map[string]any) bool {
	for _, k := range []string{"type", "$ref", "allOf", "properties", "items", "additionalProperties", "enum", "required"} {
		if _, ok := s[k]; ok {
			return false
		}
	}
	return true
}

// check validates v against s at path. inAllOf is set for the branches of an allOf, whose
// object keywords are checked once, merged, by the allOf's owner.
func (c *checker) check(s map[string]any, v any, path string, inAllOf bool) {
	s, nullable, ok := c.resolve(s, path)
	if !ok {
		return
	}
	if v == nil {
		if !nullable && !unconstrained(s) && !nullableInAllOf(c, s) {
			c.fail(path, RuleNull, "null is not allowed (the schema is not x-nullable)")
		}
		return
	}
	if t, ok := s["type"].(string); ok && !c.checkType(t, v, path) {
		return
	}
	if enum, ok := s["enum"].([]any); ok && !inEnum(enum, v) {
		c.fail(path, RuleEnum, "%s is not one of %s", compact(v), compact(enum))
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, b := range all {
			if bm, ok := b.(map[string]any); ok {
				c.check(bm, v, path, true)
			}
		}
	}
	switch x := v.(type) {
	case map[string]any:
		if !inAllOf {
			c.checkObject(s, x, path)
		}
	case []any:
		c.checkArray(s, x, path)
	case string:
		c.checkString(s, x, path)
	case json.Number:
		c.checkNumber(s, x, path)
	case float64:
		c.checkNumber(s, json.Number(strconv.FormatFloat(x, 'f', -1, 64)), path)
	}
}

func nullableInAllOf(c *checker, s map[string]any) bool {
	all, _ := s["allOf"].([]any)
	for _, b := range all {
		if bm, ok := b.(map[string]any); ok {
			if _, n, ok := c.resolveQuiet(bm); ok && n {
				return true
			}
		}
	}
	return false
}

func (c *checker) resolveQuiet(s map[string]any) (map[string]any, bool, bool) {
	saved := len(c.out)
	r, n, ok := c.resolve(s, "")
	c.out = c.out[:saved]
	return r, n, ok
}

var intLiteral = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

func (c *checker) checkType(t string, v any, path string) bool {
	ok := false
	switch t {
	case "object":
		_, ok = v.(map[string]any)
	case "array":
		_, ok = v.([]any)
	case "string":
		_, ok = v.(string)
	case "boolean":
		_, ok = v.(bool)
	case "number":
		switch v.(type) {
		case json.Number, float64:
			ok = true
		}
	case "integer":
		switch x := v.(type) {
		case json.Number:
			ok = intLiteral.MatchString(string(x))
		case float64:
			ok = x == math.Trunc(x) && !math.IsInf(x, 0)
		}
	case "file":
		ok = true
	default:
		c.fail(path, RuleSchema, "unknown type %q", t)
		return true
	}
	if !ok {
		c.fail(path, RuleType, "want %s, have %s %s", t, jsonKind(v), compact(v))
	}
	return ok
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if intLiteral.MatchString(string(x)) {
			return "integer"
		}
		return "number"
	case float64:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// compact renders v as short JSON for messages.
func compact(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(data) > 80 {
		return string(data[:77]) + "..."
	}
	return string(data)
}

func inEnum(enum []any, v any) bool {
	want := canonical(v)
	for _, e := range enum {
		if canonical(e) == want {
			return true
		}
	}
	return false
}

// canonical renders a JSON-ish value so that equal values render equally (object keys
// sorted, numbers by value).
func canonical(v any) string {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return string(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k) + ":" + canonical(x[k]))
		}
		b.WriteByte('}')
		return b.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canonical(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// objectView is an object schema with its allOf branches merged in.
type objectView struct {
	props      map[string][]map[string]any
	declared   bool // some branch declares properties
	required   []string
	additional []any // additionalProperties values (schemas or booleans)
}

func (c *checker) collect(s map[string]any, view *objectView, path string, depth int) {
	if depth > 32 {
		return
	}
	s, _, ok := c.resolve(s, path)
	if !ok {
		return
	}
	if props, ok := s["properties"].(map[string]any); ok {
		view.declared = true
		for k, p := range props {
			if pm, ok := p.(map[string]any); ok {
				view.props[k] = append(view.props[k], pm)
			}
		}
	}
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok && !slices.Contains(view.required, name) {
				view.required = append(view.required, name)
			}
		}
	}
	if ap, ok := s["additionalProperties"]; ok {
		view.additional = append(view.additional, ap)
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, b := range all {
			if bm, ok := b.(map[string]any); ok {
				c.collect(bm, view, path, depth+1)
			}
		}
	}
}

func (c *checker) checkObject(s map[string]any, obj map[string]any, path string) {
	view := &objectView{props: map[string][]map[string]any{}}
	c.collect(s, view, path, 0)
	for _, r := range view.required {
		if _, ok := obj[r]; !ok {
			c.fail(member(path, r), RuleRequired, "required property %q is missing", r)
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := member(path, k)
		if schemas, ok := view.props[k]; ok {
			for _, ps := range schemas {
				c.check(ps, obj[k], p, false)
			}
			continue
		}
		handled := false
		for _, ap := range view.additional {
			switch a := ap.(type) {
			case bool:
				if !a {
					c.fail(p, RuleUnknown, "property %q is not allowed (additionalProperties: false)", k)
				}
				handled = true
			case map[string]any:
				c.check(a, obj[k], p, false)
				handled = true
			}
		}
		if !handled && c.opts.DisallowUnknown && view.declared {
			c.fail(p, RuleUnknown, "property %q is not declared by the schema", k)
		}
	}
}

func (c *checker) checkArray(s map[string]any, arr []any, path string) {
	c.bounds(s, "minItems", "maxItems", float64(len(arr)), path, "item count")
	items, ok := s["items"].(map[string]any)
	if !ok {
		return
	}
	for i, e := range arr {
		c.check(items, e, fmt.Sprintf("%s[%d]", path, i), false)
	}
}

func (c *checker) checkString(s map[string]any, str string, path string) {
	c.bounds(s, "minLength", "maxLength", float64(len([]rune(str))), path, "length")
	if pat, ok := s["pattern"].(string); ok {
		re, err := c.doc.pattern(pat)
		if err != nil {
			c.fail(path, RuleSchema, "pattern %q: %v", pat, err)
		} else if !re.MatchString(str) {
			c.fail(path, RulePattern, "%q does not match %q", str, pat)
		}
	}
	switch f, _ := s["format"].(string); f {
	case "date-time", "dateTime":
		if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
			c.fail(path, RuleFormat, "%q is not an RFC 3339 date-time", str)
		}
	}
}

func (c *checker) checkNumber(s map[string]any, n json.Number, path string) {
	f, err := n.Float64()
	if err != nil {
		c.fail(path, RuleType, "%s is not a number", n)
		return
	}
	c.bounds(s, "minimum", "maximum", f, path, "value")
	var lo, hi *big.Int
	switch fm, _ := s["format"].(string); fm {
	case "int64":
		lo, hi = big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	case "int32":
		lo, hi = big.NewInt(math.MinInt32), big.NewInt(math.MaxInt32)
	case "uint64":
		lo, hi = big.NewInt(0), new(big.Int).SetUint64(math.MaxUint64)
	case "uint32":
		lo, hi = big.NewInt(0), big.NewInt(math.MaxUint32)
	case "uint16":
		lo, hi = big.NewInt(0), big.NewInt(math.MaxUint16)
	default:
		return
	}
	i, ok := new(big.Int).SetString(string(n), 10)
	if !ok {
		return // not an integer literal; the type check speaks for that
	}
	if i.Cmp(lo) < 0 || i.Cmp(hi) > 0 {
		c.fail(path, RuleFormat, "%s does not fit format %s", n, s["format"])
	}
}

func (c *checker) bounds(s map[string]any, minKey, maxKey string, have float64, path, what string) {
	if m, ok := s[minKey].(float64); ok && have < m {
		c.fail(path, RuleRange, "%s %v is below %s %v", what, have, minKey, m)
	}
	if m, ok := s[maxKey].(float64); ok && have > m {
		c.fail(path, RuleRange, "%s %v is above %s %v", what, have, maxKey, m)
	}
}

func (d *Doc) pattern(p string) (*regexp.Regexp, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if re, ok := d.patterns[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	d.patterns[p] = re
	return re, nil
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// member is the path of property k of the object at path.
func member(path, k string) string {
	if identifier.MatchString(k) {
		return path + "." + k
	}
	return path + "[" + strconv.Quote(k) + "]"
}

// ModuleDir returns the directory of module (such as "github.com/moby/moby/api") as the
// build of the current directory's module uses it, by asking the go command.
func ModuleDir(module string) (string, error) {
	goCmd := "go"
	if _, err := exec.LookPath(goCmd); err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("go list -m %s: %v: %s", module, err, ee.Stderr)
		}
		return "", fmt.Errorf("go list -m %s: %w", module, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("go list -m %s: the module is not downloaded", module)
	}
	return dir, nil
}

// MobyAPIModule is the module that holds the Docker Engine API's Swagger documents.
const MobyAPIModule = "github.com/moby/moby/api"

// MobySwaggerPath returns the path of moby's Swagger document for API version (such as
// "1.41"), from the module [MobyAPIModule] in the build: docs/v<version>.yaml, the document
// as it was at that version. An empty version names api/swagger.yaml, the current one.
func MobySwaggerPath(version string) (string, error) {
	dir, err := ModuleDir(MobyAPIModule)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "swagger.yaml")
	if version != "" {
		p = filepath.Join(dir, "docs", "v"+version+".yaml")
	}
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return p, nil
}
