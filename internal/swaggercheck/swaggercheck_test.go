package swaggercheck

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// testDoc exercises every keyword the checker understands.
const testDoc = `
swagger: "2.0"
info:
  version: "9.9"
definitions:
  Pet:
    type: object
    required: [Name, Age]
    properties:
      Name:
        type: string
        minLength: 1
        pattern: "^[a-z]+$"
      Age:
        type: integer
        format: int32
        minimum: 0
      Weight:
        type: number
      Kind:
        type: string
        enum: [cat, dog]
      Tags:
        type: array
        maxItems: 2
        items:
          type: string
      Labels:
        type: object
        additionalProperties:
          type: string
      Born:
        type: string
        format: dateTime
      Owner:
        x-nullable: true
        $ref: "#/definitions/Owner"
      Friend:
        $ref: "#/definitions/Owner"
      Nick:
        type: string
        x-nullable: true
      Empty:
        type: object
        additionalProperties:
          type: object
          enum: [{}]
      Anything:
        description: no constraint at all
  Owner:
    type: object
    required: [ID]
    properties:
      ID:
        type: string
  Closed:
    type: object
    additionalProperties: false
    properties:
      A:
        type: boolean
  Both:
    allOf:
      - $ref: "#/definitions/Owner"
      - type: object
        required: [Extra]
        properties:
          Extra:
            type: integer
paths:
  /pets:
    get:
      responses:
        200:
          schema:
            type: array
            items:
              $ref: "#/definitions/Pet"
        default:
          schema:
            $ref: "#/definitions/Owner"
  /stream:
    post:
      responses:
        200:
          description: a stream, no schema
`

func mustParse(t *testing.T) *Doc {
	t.Helper()
	d, err := Parse([]byte(testDoc))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func validate(t *testing.T, s Schema, doc string, opts Options) []string {
	t.Helper()
	vs, err := s.ValidateJSON([]byte(doc), opts)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Path + " " + string(v.Rule)
	}
	slices.Sort(out)
	return out
}

func TestValidDocument(t *testing.T) {
	d := mustParse(t)
	if d.Version() != "9.9" {
		t.Errorf("Version() = %q", d.Version())
	}
	if got := d.Definitions(); !slices.Equal(got, []string{"Both", "Closed", "Owner", "Pet"}) {
		t.Errorf("Definitions() = %v", got)
	}
	pet, err := d.Definition("Pet")
	if err != nil {
		t.Fatal(err)
	}
	valid := `{"Name":"rex","Age":3,"Weight":4.5,"Kind":"dog","Tags":["a","b"],
		"Labels":{"x":"y"},"Born":"2024-01-02T03:04:05.123456789Z","Owner":null,
		"Friend":{"ID":"f"},"Nick":null,"Empty":{"80/tcp":{}},"Anything":null,"Other":1}`
	if got := validate(t, pet, valid, Options{}); len(got) != 0 {
		t.Errorf("valid document: violations %v", got)
	}
	// A whole response: the operation's schema is an array of Pet.
	list, err := d.Response("GET", "/pets", 200)
	if err != nil {
		t.Fatal(err)
	}
	if got := validate(t, list, "["+valid+"]", Options{}); len(got) != 0 {
		t.Errorf("valid response: violations %v", got)
	}
	both, _ := d.Definition("Both")
	if got := validate(t, both, `{"ID":"x","Extra":2}`, Options{DisallowUnknown: true}); len(got) != 0 {
		t.Errorf("allOf: violations %v", got)
	}
	// Go values are converted through encoding/json.
	owner, _ := d.Definition("Owner")
	if vs := owner.Validate(struct{ ID string }{"a"}, Options{}); len(vs) != 0 {
		t.Errorf("Go value: violations %v", vs)
	}
}

func TestInvalidDocument(t *testing.T) {
	d := mustParse(t)
	pet, _ := d.Definition("Pet")
	invalid := `{"Name":"Rex","Age":3.0,"Weight":"heavy","Kind":"bird","Tags":["a",2,"c"],
		"Labels":{"x":1},"Born":"yesterday","Owner":{"id":"lowercase"},"Friend":null,
		"Nick":7,"Empty":{"80/tcp":{"a":1}},"Other":1}`
	got := validate(t, pet, invalid, Options{DisallowUnknown: true})
	want := []string{
		"$.Age type", // 3.0 is a number, not an integer
		`$.Born format`,
		`$.Empty["80/tcp"] enum`,
		"$.Friend null", // only Owner is x-nullable at its $ref site
		"$.Kind enum",
		`$.Labels.x type`,
		"$.Name pattern",
		"$.Nick type",
		"$.Other unknown",
		"$.Owner.ID required",
		"$.Owner.id unknown",
		"$.Tags range",
		"$.Tags[1] type",
		"$.Weight type",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n got %q\nwant %q", got, want)
	}

	// Without DisallowUnknown undeclared properties pass; required ones still count.
	got = validate(t, pet, `{"Other":1}`, Options{})
	if want := []string{"$.Age required", "$.Name required"}; !slices.Equal(got, want) {
		t.Errorf("missing properties: got %q, want %q", got, want)
	}
	// Whole-value type errors, format bounds and null at the top.
	if got := validate(t, pet, `[]`, Options{}); !slices.Equal(got, []string{"$ type"}) {
		t.Errorf("array for object: %q", got)
	}
	if got := validate(t, pet, `{"Name":"a","Age":4294967296}`, Options{}); !slices.Equal(got, []string{"$.Age format"}) {
		t.Errorf("int32 overflow: %q", got)
	}
	if got := validate(t, pet, `{"Name":"a","Age":-1}`, Options{}); !slices.Equal(got, []string{"$.Age range"}) {
		t.Errorf("minimum: %q", got)
	}
	if got := validate(t, pet, `null`, Options{}); !slices.Equal(got, []string{"$ null"}) {
		t.Errorf("null: %q", got)
	}
	closed, _ := d.Definition("Closed")
	if got := validate(t, closed, `{"A":true,"B":1}`, Options{}); !slices.Equal(got, []string{"$.B unknown"}) {
		t.Errorf("additionalProperties false: %q", got)
	}
	both, _ := d.Definition("Both")
	if got := validate(t, both, `{"ID":1,"Extra":"x","More":1}`, Options{DisallowUnknown: true}); !slices.Equal(got, []string{"$.Extra type", "$.ID type", "$.More unknown"}) {
		t.Errorf("allOf: %q", got)
	}
	list, _ := d.Response("get", "/pets", 200)
	if got := validate(t, list, `[{"Name":"a","Age":1},{"Name":"b"}]`, Options{}); !slices.Equal(got, []string{"$[1].Age required"}) {
		t.Errorf("response: %q", got)
	}
	// Violations carry a readable message.
	vs, _ := pet.ValidateJSON([]byte(`{"Name":"a","Age":"x"}`), Options{})
	if len(vs) != 1 || !strings.Contains(vs[0].String(), `$.Age: type: want integer, have string "x"`) {
		t.Errorf("message: %v", vs)
	}
}

func TestLookupErrors(t *testing.T) {
	d := mustParse(t)
	if _, err := d.Definition("Nope"); err == nil {
		t.Error("unknown definition: no error")
	}
	if _, err := d.Response("GET", "/nope", 200); err == nil {
		t.Error("unknown path: no error")
	}
	if _, err := d.Response("POST", "/stream", 200); err == nil {
		t.Error("response without schema: no error")
	}
	if s, err := d.Response("GET", "/pets", 500); err != nil || s.Name() != "GET /pets 500" {
		t.Errorf("default response: %v %q", err, s.Name())
	}
	if _, err := Parse([]byte("openapi: 3.0.0\n")); err == nil {
		t.Error("OpenAPI 3 accepted as Swagger 2")
	}
	if _, err := (Schema{}).ValidateJSON([]byte("{"), Options{}); err == nil {
		t.Error("bad JSON: no error")
	}
	bad, _ := Parse([]byte("swagger: \"2.0\"\ndefinitions:\n  A:\n    $ref: \"#/definitions/B\"\n"))
	a, _ := bad.Definition("A")
	if vs := a.Validate(map[string]any{}, Options{}); len(vs) != 1 || vs[0].Rule != RuleSchema {
		t.Errorf("dangling $ref: %v", vs)
	}
}

// TestMobySwagger runs the checker on moby's own document, on a summary as Docker 29
// writes it for API 1.56 and on one with the mistakes a re-implementation could make.
func TestMobySwagger(t *testing.T) {
	p, err := MobySwaggerPath("")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Version() != "1.56" {
		t.Errorf("swagger.yaml is API %s, want 1.56", d.Version())
	}
	list, err := d.Response("GET", "/images/json", 200)
	if err != nil {
		t.Fatal(err)
	}
	good := `[{"Containers":0,"Created":1739491200,"Id":"sha256:8a1f","Labels":{},"ParentId":"",
		"Descriptor":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:8a1f","size":9218},
		"Manifests":[{"ID":"sha256:1c4e","Descriptor":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:1c4e","size":1022,"platform":{"architecture":"amd64","os":"linux"}},
		  "Available":true,"Size":{"Content":3642412,"Total":12490876},"Kind":"image",
		  "ImageData":{"Platform":{"architecture":"amd64","os":"linux"},"Size":{"Unpacked":8848464},"Containers":[]}},
		 {"ID":"sha256:9f0d","Descriptor":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:9f0d","size":839,"annotations":{"vnd.docker.reference.type":"attestation-manifest"},"platform":{"architecture":"unknown","os":"unknown"}},
		  "Available":true,"Size":{"Content":12345,"Total":12345},"Kind":"attestation","AttestationData":{"For":"sha256:1c4e"}}],
		"RepoDigests":["alpine@sha256:8a1f"],"RepoTags":["alpine:3.20"],"SharedSize":-1,"Size":12503221}]`
	vs, err := list.ValidateJSON([]byte(good), Options{DisallowUnknown: true})
	if err != nil || len(vs) != 0 {
		t.Errorf("valid list: %v %v", err, vs)
	}
	bad := `[{"Containers":0,"Created":1.7e9,"Id":"sha256:8a1f","ParentId":"","VirtualSize":1,
		"Manifests":[{"ID":"sha256:1c4e","Descriptor":{"mediaType":"m","digest":"d","size":1},
		  "Available":"yes","Size":{"Content":1},"Kind":"img","ImageData":{"Platform":null,"Size":{"Unpacked":0},"Containers":null}}],
		"RepoDigests":null,"RepoTags":[],"SharedSize":-1,"Size":1}]`
	vs, err = list.ValidateJSON([]byte(bad), Options{DisallowUnknown: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Path+" "+string(v.Rule))
	}
	slices.Sort(got)
	want := []string{
		"$[0].Created type",
		"$[0].Labels required",
		"$[0].Manifests[0].Available type",
		"$[0].Manifests[0].ImageData.Containers null", // the schema does not say x-nullable
		"$[0].Manifests[0].Kind enum",
		"$[0].Manifests[0].Size.Total required",
		"$[0].RepoDigests null",
		"$[0].VirtualSize unknown",
	}
	if !slices.Equal(got, want) {
		data, _ := json.MarshalIndent(vs, "", "  ")
		t.Errorf("violations:\n got %q\nwant %q\n%s", got, want, data)
	}
	// OCIPlatform is x-nullable at its definition, so a null ImageData.Platform passes.

	// The documents of older versions load too.
	p41, err := MobySwaggerPath("1.41")
	if err != nil {
		t.Fatal(err)
	}
	d41, err := Load(p41)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := d41.Definition("ImageSummary")
	if err != nil {
		t.Fatal(err)
	}
	vs, _ = sum.ValidateJSON([]byte(`{"Containers":-1,"Created":1,"Id":"sha256:1","Labels":{},"ParentId":"","RepoDigests":[],"RepoTags":[],"SharedSize":-1,"Size":1}`), Options{})
	if len(vs) != 1 || vs[0].Path != "$.VirtualSize" || vs[0].Rule != RuleRequired {
		t.Errorf("API 1.41 requires VirtualSize: %v", vs)
	}
}
