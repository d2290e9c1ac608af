// Command gencaps writes the code that gives a value a set of the optional capabilities
// of imagesvc (Remover, Tagger, ..., EventWatcher, DiskUsager, RootFSPreparer), and the
// table of their names in the plugin protocol.
//
// There are two kinds of capabilities:
//
//   - The first nine ([capabilities]: Remove to Push) are frozen. Each combination of them
//     has its own generated type, whose method set has exactly those interfaces, so that a
//     type assertion (svc.(imagesvc.Remover)) tells them apart. Go cannot add methods to
//     a value at run time, and with n capabilities there are 2^n combinations: 512 types
//     for nine, which is as many as the compiler can bear. Users type-assert them, so they
//     stay.
//   - Every capability after the ninth ([lookupCapabilities]: Events, DiskUsage, RootFS,
//     ...) is found with imagesvc.As only: it gets its constant, its name in the protocol, its
//     place in AllCapabilities and CapabilitiesOf, and the As methods of the generated
//     values hand it out, but no type has it in its method set. Adding one is one line in
//     lookupCapabilities (and the calls that serve it); it costs no type.
//
// imagesvc.As serves both kinds (the values also hand out the first nine through As), so
// hosts should look every capability up with As.
//
//	go run ./internal/gencaps -kind plugins -o capabilities_gen.go     (package plugins)
//	go run ../internal/gencaps -kind plugintest -o without_gen.go      (package plugintest)
//
// For package plugins it writes the Capability constants, their names in the protocol,
// CapabilitiesOf, withCapabilities (the value Open returns) and provideCapability (its As);
// for package plugintest, restrict (the value Without returns) and provideCapability.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"strings"
	"text/template"
)

// capability is one optional interface of imagesvc.
type capability struct {
	Name  string // the constant is Cap<Name>; the combination types are named after it
	Iface string // the interface in package imagesvc
	Wire  string // the name in InitResponse.capabilities (backend.proto)
}

// capabilities are the frozen optional interfaces that cross the plugin boundary, in the
// order of their bits, each combination of which has its own type. Do not add to it: a new
// capability goes to lookupCapabilities.
var capabilities = []capability{
	{"Remove", "Remover", "remove"},
	{"Tag", "Tagger", "tag"},
	{"Prune", "Pruner", "prune"},
	{"History", "Historian", "history"},
	{"Login", "RegistryAuthenticator", "login"},
	{"Distribution", "DistributionInspector", "distribution"},
	{"Save", "Saver", "save"},
	{"Load", "Loader", "load"},
	{"Push", "Pusher", "push"},
}

// lookupCapabilities are the optional interfaces that cross the plugin boundary after the
// frozen nine, in the order of their bits (after those of capabilities): found with
// imagesvc.As only, without combination types. Append only: the bits are not on the
// wire, but the order of the constants is part of the API.
var lookupCapabilities = []capability{
	{"Events", "EventWatcher", "events"},
	{"DiskUsage", "DiskUsager", "disk_usage"},
	{"RootFS", "RootFSPreparer", "rootfs"},
}

// kind is what one output holds.
type kind struct {
	Package string // package of the output
	Prefix  string // how the combination types start
	Base    string // the interface every combination embeds
	Result  string // what the composing function returns
	Func    string // the composing function
	CapPkg  string // qualifier of the Capability constants ("" or "plugins.")
	Consts  bool   // whether to write the constants and CapabilitiesOf
	Imports []string
}

var kinds = map[string]kind{
	"plugins": {
		Package: "plugins", Prefix: "clientWith", Base: "Client", Result: "Client",
		Func: "withCapabilities", Consts: true,
		Imports: []string{"github.com/imageapi/imageapi/imagesvc"},
	},
	"plugintest": {
		Package: "plugintest", Prefix: "serviceWith", Base: "versionedService", Result: "imagesvc.Service",
		Func: "restrict", CapPkg: "plugins.",
		Imports: []string{"github.com/imageapi/imageapi/imagesvc", "github.com/imageapi/imageapi/plugins"},
	},
}

// combination is one subset of the capabilities.
type combination struct {
	Mask  string // the case expression
	Type  string
	Caps  []capability
	Empty bool
}

func main() {
	kindName := flag.String("kind", "plugins", "plugins or plugintest")
	out := flag.String("o", "", "output file")
	flag.Parse()
	k, ok := kinds[*kindName]
	if !ok || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gencaps -kind plugins|plugintest -o FILE")
		os.Exit(2)
	}
	var combos []combination
	for mask := 0; mask < 1<<len(capabilities); mask++ {
		c := combination{Type: k.Prefix, Empty: mask == 0}
		var parts []string
		for i, cap := range capabilities {
			if mask&(1<<i) != 0 {
				c.Caps = append(c.Caps, cap)
				c.Type += cap.Name
				parts = append(parts, k.CapPkg+"Cap"+cap.Name)
			}
		}
		if mask == 0 {
			c.Type += "None"
			c.Mask = "0"
		} else {
			c.Mask = strings.Join(parts, " | ")
		}
		combos = append(combos, c)
	}
	var buf bytes.Buffer
	all := append(append([]capability(nil), capabilities...), lookupCapabilities...)
	data := map[string]any{"K": k, "Caps": capabilities, "Lookup": lookupCapabilities, "All": all, "Combos": combos}
	if err := tmpl.Execute(&buf, data); err != nil {
		fmt.Fprintln(os.Stderr, "gencaps:", err)
		os.Exit(1)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		fmt.Fprintf(os.Stderr, "gencaps: %v\n%s", err, buf.Bytes())
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gencaps:", err)
		os.Exit(1)
	}
}

var tmpl = template.Must(template.New("").Parse(`// Code generated by gencaps (plugins/internal/gencaps); DO NOT EDIT.

package {{.K.Package}}

import (
{{- range .K.Imports}}
	"{{.}}"
{{- end}}
)
{{if .K.Consts}}
// The capabilities: the optional interfaces of imagesvc that cross the plugin boundary.
// The first nine ([CapRemove] to [CapPush]) are in the method set of the [Client] whose
// plugin announced them; those after the ninth are found with imagesvc.As only.
const (
{{- range $i, $c := .All}}
	// Cap{{$c.Name}} is [imagesvc.{{$c.Iface}}], "{{$c.Wire}}" in the protocol.
	Cap{{$c.Name}}{{if eq $i 0}} Capabilities = 1 << iota{{end}}
{{- end}}

	// AllCapabilities are the capabilities this package knows.
	AllCapabilities = {{range $i, $c := .All}}{{if $i}} | {{end}}Cap{{$c.Name}}{{end}}
)

// combinedCapabilities are the frozen capabilities, each combination of which has its own
// type; the others are found with imagesvc.As only.
const combinedCapabilities = {{range $i, $c := .Caps}}{{if $i}} | {{end}}Cap{{$c.Name}}{{end}}

// capabilityNames are the names of the capabilities in the protocol
// (InitResponse.capabilities), in the order of their bits.
var capabilityNames = [...]string{ {{- range $i, $c := .All}}{{if $i}}, {{end}}"{{$c.Wire}}"{{end -}} }

// CapabilitiesOf returns the capabilities svc implements: those of its optional
// interfaces imagesvc.As finds (in its method set, or handed out by its As method).
func CapabilitiesOf(svc any) Capabilities {
	var c Capabilities
{{- range .All}}
	if _, ok := imagesvc.As[imagesvc.{{.Iface}}](svc); ok {
		c |= Cap{{.Name}}
	}
{{- end}}
	return c
}
{{else}}
// combinedCapabilities are the frozen capabilities, each combination of which has its own
// type; the others are found with imagesvc.As only.
const combinedCapabilities = {{range $i, $c := .Caps}}{{if $i}} | {{end}}{{$.K.CapPkg}}Cap{{$c.Name}}{{end}}
{{end}}
// {{.K.Func}} returns base with exactly the frozen capabilities of caps in its method set,
// served by impl, which must have each of them (imagesvc.As); the others of caps are left to
// base's As.
func {{.K.Func}}(base {{.K.Base}}, caps {{.K.CapPkg}}Capabilities, impl any) {{.K.Result}} {
	switch caps & combinedCapabilities {
{{- range .Combos}}
	case {{.Mask}}:
		return {{.Type}}{ {{- "" -}} base{{range .Caps}}, capability[imagesvc.{{.Iface}}](impl){{end -}} }
{{- end}}
	}
	panic("unreachable")
}

// capability returns impl's implementation of the capability T (imagesvc.As).
func capability[T any](impl any) T {
	t, ok := imagesvc.As[T](impl)
	if !ok {
		panic("gencaps: the service lacks a capability it was given")
	}
	return t
}

// provideCapability is the As method of the values that have the capabilities caps
// (imagesvc.CapabilityProvider): it sets *target to impl's implementation of the
// capability target points to, when caps holds it, and reports whether it did.
func provideCapability(target any, caps {{.K.CapPkg}}Capabilities, impl any) bool {
	switch t := target.(type) {
{{- range .All}}
	case *imagesvc.{{.Iface}}:
		if caps&{{$.K.CapPkg}}Cap{{.Name}} == 0 {
			return false
		}
		v, ok := imagesvc.As[imagesvc.{{.Iface}}](impl)
		if ok {
			*t = v
		}
		return ok
{{- end}}
	}
	return false
}
{{range .Combos}}
type {{.Type}} struct {
	{{$.K.Base}}
{{- range .Caps}}
	imagesvc.{{.Iface}}
{{- end}}
}
{{end}}`))
