package plugins

import (
	"errors"
	"maps"
	"runtime"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// The fast path of List.
//
// A list of 10,000 images is a message of several megabytes. Building it as generated
// protobuf structs on one side and converting them back on the other costs several times
// what the backend spends producing the list. So the List response is written directly
// from []imagesvc.Summary in the wire format of ListResponse (backend.proto), and read
// directly into []imagesvc.Summary, with every string of the list a substring of one
// string holding the whole message: a single allocation for all the text. The bytes on the
// wire are exactly those of ListResponse; plugins in other languages use their generated
// code. fastlist_test.go checks both directions against the generated code.

// encodedList is a ListResponse already in wire format, in a buffer of listPool that
// gRPC returns to the pool once it has written it out.
type encodedList struct{ buf *[]byte }

// listPool recycles the buffers of encodedList.
var listPool = &bufferPool{size: listChunk + 64<<10}

type bufferPool struct {
	size int
	pool sync.Pool
}

// Get returns an empty buffer (the length argument of mem.BufferPool is ignored: the
// buffers are appended to).
func (p *bufferPool) Get(int) *[]byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, p.size)
	return &b
}

func (p *bufferPool) Put(b *[]byte) {
	if cap(*b) == p.size {
		p.pool.Put(b)
	}
}

// backendServiceDesc is the generated service description with List answered by the fast
// path.
func backendServiceDesc() *grpc.ServiceDesc {
	desc := pb.Backend_ServiceDesc
	desc.Streams = append([]grpc.StreamDesc(nil), desc.Streams...)
	for i := range desc.Streams {
		if desc.Streams[i].StreamName == "List" {
			desc.Streams[i].Handler = listHandler
		}
	}
	return &desc
}

// listStreamDesc describes List for the client.
var listStreamDesc = grpc.StreamDesc{StreamName: "List", ServerStreams: true}

func listHandler(srv any, stream grpc.ServerStream) error {
	in := new(pb.ListRequest)
	if err := stream.RecvMsg(in); err != nil {
		return err
	}
	return srv.(*server).listEncoded(in, stream)
}

// listChunk is the size past which a ListResponse is sent and the next one started.
const listChunk = 256 << 10

// ---- Encoding

// appendMessage appends field num as a length-delimited message written by enc. It
// reserves one byte for the length and moves the message when that was not enough.
func appendMessage(b []byte, num protowire.Number, enc func([]byte) []byte) []byte {
	return appendMessageN(b, num, 1, enc)
}

// appendMessageN is appendMessage reserving reserve bytes for the length: 2 for messages
// that are usually 128 bytes to 16 KiB long, so that they are written in place.
func appendMessageN(b []byte, num protowire.Number, reserve int, enc func([]byte) []byte) []byte {
	b = appendTag(b, num, protowire.BytesType)
	at := len(b)
	for range reserve {
		b = append(b, 0)
	}
	b = enc(b)
	n := len(b) - at - reserve
	size := protowire.SizeVarint(uint64(n))
	switch {
	case size > reserve:
		b = append(b, make([]byte, size-reserve)...)
		copy(b[at+size:], b[at+reserve:at+reserve+n])
	case size < reserve:
		copy(b[at+size:], b[at+reserve:at+reserve+n])
		b = b[:at+size+n]
	}
	protowire.AppendVarint(b[at:at], uint64(n))
	return b
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = appendTag(b, num, protowire.BytesType)
	b = appendVarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendRepeatedString(b []byte, num protowire.Number, ss []string) []byte {
	for _, s := range ss {
		b = appendTag(b, num, protowire.BytesType)
		b = appendVarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func appendInt64(b []byte, num protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, protowire.VarintType)
	return appendVarint(b, uint64(v))
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	b = appendTag(b, num, protowire.VarintType)
	return append(b, 1)
}

// appendStringMap appends the entries of m in the order of their keys, so that equal maps
// encode to equal bytes (which the decoder's cache of label maps relies on).
func appendStringMap(b []byte, num protowire.Number, m map[string]string) []byte {
	if len(m) == 0 {
		return b
	}
	type entry struct{ k, v string }
	var small [8]entry
	entries := small[:0]
	if len(m) > len(small) {
		entries = make([]entry, 0, len(m))
	}
	for k, v := range m {
		entries = append(entries, entry{k, v})
	}
	// Insertion sort: label sets are small.
	for i := 1; i < len(entries); i++ {
		for j := i; j > 0 && entries[j].k < entries[j-1].k; j-- {
			entries[j], entries[j-1] = entries[j-1], entries[j]
		}
	}
	for _, e := range entries {
		b = appendMessage(b, num, func(b []byte) []byte {
			b = appendString(b, 1, e.k)
			return appendString(b, 2, e.v)
		})
	}
	return b
}

// appendTag and appendVarint are protowire's, with the one-byte case inlined.
func appendTag(b []byte, num protowire.Number, typ protowire.Type) []byte {
	return appendVarint(b, uint64(num)<<3|uint64(typ&7))
}

func appendVarint(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	return protowire.AppendVarint(b, v)
}

func appendTime(b []byte, num protowire.Number, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return appendMessage(b, num, func(b []byte) []byte {
		_, off := t.Zone()
		b = appendInt64(b, 1, t.Unix())
		b = appendInt64(b, 2, int64(t.Nanosecond()))
		return appendInt64(b, 3, int64(off))
	})
}

func appendPlatform(b []byte, num protowire.Number, p *ocispec.Platform) []byte {
	return appendMessage(b, num, func(b []byte) []byte {
		b = appendString(b, 1, p.Architecture)
		b = appendString(b, 2, p.OS)
		b = appendString(b, 3, p.OSVersion)
		b = appendRepeatedString(b, 4, p.OSFeatures)
		return appendString(b, 5, p.Variant)
	})
}

func appendDescriptor(b []byte, num protowire.Number, d *ocispec.Descriptor) []byte {
	return appendMessageN(b, num, 2, func(b []byte) []byte {
		b = appendString(b, 1, d.MediaType)
		b = appendString(b, 2, string(d.Digest))
		b = appendInt64(b, 3, d.Size)
		b = appendRepeatedString(b, 4, d.URLs)
		b = appendStringMap(b, 5, d.Annotations)
		if len(d.Data) > 0 {
			b = appendTag(b, 6, protowire.BytesType)
			b = protowire.AppendBytes(b, d.Data)
		}
		if d.Platform != nil {
			b = appendPlatform(b, 7, d.Platform)
		}
		return appendString(b, 8, d.ArtifactType)
	})
}

func appendIdentity(b []byte, num protowire.Number, id *imagesvc.Identity) []byte {
	return appendMessage(b, num, func(b []byte) []byte {
		for _, p := range id.Pull {
			b = appendMessage(b, 1, func(b []byte) []byte { return appendString(b, 1, p.Repository) })
		}
		for _, bi := range id.Build {
			b = appendMessage(b, 2, func(b []byte) []byte {
				b = appendString(b, 1, bi.Ref)
				return appendTime(b, 2, bi.CreatedAt)
			})
		}
		return b
	})
}

func appendManifest(b []byte, num protowire.Number, m *imagesvc.ManifestSummary) []byte {
	return appendMessageN(b, num, 2, func(b []byte) []byte {
		b = appendString(b, 1, string(m.ID))
		b = appendDescriptor(b, 2, &m.Descriptor)
		b = appendBool(b, 3, m.Available)
		b = appendInt64(b, 4, m.Size.Content)
		b = appendInt64(b, 5, m.Size.Total)
		b = appendString(b, 6, string(m.Kind))
		if d := m.ImageData; d != nil {
			b = appendMessage(b, 7, func(b []byte) []byte {
				b = appendPlatform(b, 1, &d.Platform)
				if d.Identity != nil {
					b = appendIdentity(b, 2, d.Identity)
				}
				b = appendInt64(b, 3, d.Unpacked)
				return appendRepeatedString(b, 4, d.Containers)
			})
		}
		if d := m.AttestationData; d != nil {
			b = appendMessage(b, 8, func(b []byte) []byte { return appendString(b, 1, string(d.For)) })
		}
		return b
	})
}

func appendSummary(b []byte, s *imagesvc.Summary) []byte {
	return appendMessageN(b, 1, 2, func(b []byte) []byte {
		b = appendString(b, 1, string(s.ID))
		b = appendString(b, 2, string(s.ParentID))
		b = appendRepeatedString(b, 3, s.RepoTags)
		b = appendRepeatedString(b, 4, s.RepoDigests)
		b = appendTime(b, 5, s.Created)
		b = appendInt64(b, 6, s.Size)
		b = appendInt64(b, 7, s.SharedSize)
		if s.Labels != nil {
			b = appendMessage(b, 8, func(b []byte) []byte { return appendStringMap(b, 1, s.Labels) })
		}
		b = appendInt64(b, 9, s.Containers)
		b = appendDescriptor(b, 10, &s.Descriptor)
		for i := range s.Manifests {
			b = appendManifest(b, 11, &s.Manifests[i])
		}
		return appendBool(b, 12, s.Manifests != nil)
	})
}

// encodeList writes sums as ListResponse messages of about listChunk bytes, the first
// with the total and etag (when not empty), and calls send with each. Each message has a
// buffer of its own from listPool, which send owns: gRPC writes it out after SendMsg
// returns, then frees it. An empty list is no message at all, or one with only the etag.
func encodeList(sums []imagesvc.Summary, etag string, send func(encodedList) error) error {
	p := listPool.Get(0)
	b := *p
	if len(sums) > 0 {
		b = appendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(len(sums)))
	}
	b = appendString(b, 3, etag)
	for i := range sums {
		b = appendSummary(b, &sums[i])
		if len(b) >= listChunk {
			*p = b
			if err := send(encodedList{p}); err != nil {
				return err
			}
			p = listPool.Get(0)
			b = *p
		}
	}
	if len(b) > 0 {
		*p = b
		return send(encodedList{p})
	}
	listPool.Put(p)
	return nil
}

// encodeNotModified writes the ListResponse that answers a conditional list whose etag
// still holds.
func encodeNotModified(etag string) encodedList {
	p := listPool.Get(0)
	b := appendString(*p, 3, etag)
	b = appendBool(b, 4, true)
	*p = b
	return encodedList{p}
}

// ---- Decoding

var errMalformed = errors.New("malformed ListResponse")

// errGroup is the error for a group (wire types 3 and 4): protobuf decoders skip them as
// unknown fields, but no message of this protocol has groups and no encoder of it writes
// them, so the fast decoder refuses them rather than carrying code to skip them.
var errGroup = errors.New("malformed ListResponse: groups are not part of the plugin protocol")

// reader reads protobuf wire format from a string.
type reader struct {
	s   string
	err error
}

func (r *reader) done() bool { return r.err != nil || len(r.s) == 0 }

func (r *reader) fail() { r.failWith(errMalformed) }

func (r *reader) failWith(err error) {
	if r.err == nil {
		r.err = err
	}
	r.s = ""
}

func (r *reader) varint() uint64 {
	if len(r.s) > 0 && r.s[0] < 0x80 { // most tags and lengths
		v := uint64(r.s[0])
		r.s = r.s[1:]
		return v
	}
	var v uint64
	for i := 0; i < 10; i++ {
		if i >= len(r.s) {
			break
		}
		c := r.s[i]
		if i == 9 && c > 1 {
			break // more than 64 bits, which protobuf refuses
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			r.s = r.s[i+1:]
			return v
		}
	}
	r.fail()
	return 0
}

// field reads a tag.
func (r *reader) field() (protowire.Number, protowire.Type) {
	t := r.varint()
	if t>>3 < uint64(protowire.MinValidNumber) || t>>3 > uint64(protowire.MaxValidNumber) {
		r.fail()
		return 0, 0
	}
	return protowire.Number(t >> 3), protowire.Type(t & 7)
}

// bytes reads a length-delimited value, as a substring.
func (r *reader) bytes() string {
	n := r.varint()
	if n > uint64(len(r.s)) {
		r.fail()
		return ""
	}
	v := r.s[:n]
	r.s = r.s[n:]
	return v
}

// skip skips a value of type t.
func (r *reader) skip(t protowire.Type) {
	switch t {
	case protowire.VarintType:
		r.varint()
	case protowire.Fixed64Type:
		if len(r.s) < 8 {
			r.fail()
			return
		}
		r.s = r.s[8:]
	case protowire.Fixed32Type:
		if len(r.s) < 4 {
			r.fail()
			return
		}
		r.s = r.s[4:]
	case protowire.BytesType:
		r.bytes()
	case protowire.StartGroupType, protowire.EndGroupType:
		r.failWith(errGroup)
	default:
		r.fail() // wire types 6 and 7 do not exist
	}
}

// sub reads a length-delimited value as a reader of its own.
func (r *reader) sub() reader { return reader{s: r.bytes()} }

// child propagates the error of a sub-reader.
func (r *reader) child(c *reader) {
	if c.err != nil {
		r.failWith(c.err)
	}
}

// decoder decodes one list: it shares label maps that are equal, byte for byte.
type decoder struct {
	labelMaps map[string]map[string]string
	zones     map[int32]*time.Location
}

func (d *decoder) stringMapEntry(r *reader, m map[string]string) {
	e := r.sub()
	var k, v string
	for !e.done() {
		num, typ := e.field()
		switch {
		case num == 1 && typ == protowire.BytesType:
			k = e.bytes()
		case num == 2 && typ == protowire.BytesType:
			v = e.bytes()
		default:
			e.skip(typ)
		}
	}
	r.child(&e)
	m[k] = v
}

func (d *decoder) time(r *reader) time.Time {
	t := r.sub()
	var sec, nsec, off int64
	for !t.done() {
		num, typ := t.field()
		if typ != protowire.VarintType {
			t.skip(typ)
			continue
		}
		v := int64(t.varint())
		switch num {
		case 1:
			sec = v
		case 2:
			nsec = int64(int32(v))
		case 3:
			off = int64(int32(v))
		}
	}
	r.child(&t)
	tm := time.Unix(sec, nsec)
	if off == 0 {
		return tm.UTC()
	}
	loc, ok := d.zones[int32(off)]
	if !ok {
		loc = time.FixedZone("", int(off))
		if d.zones == nil {
			d.zones = map[int32]*time.Location{}
		}
		d.zones[int32(off)] = loc
	}
	return tm.In(loc)
}

func (d *decoder) platform(r *reader) ocispec.Platform {
	p := r.sub()
	var out ocispec.Platform
	for !p.done() {
		num, typ := p.field()
		if typ != protowire.BytesType {
			p.skip(typ)
			continue
		}
		v := p.bytes()
		switch num {
		case 1:
			out.Architecture = v
		case 2:
			out.OS = v
		case 3:
			out.OSVersion = v
		case 4:
			out.OSFeatures = append(out.OSFeatures, v)
		case 5:
			out.Variant = v
		}
	}
	r.child(&p)
	return out
}

func (d *decoder) descriptor(r *reader) ocispec.Descriptor {
	x := r.sub()
	var out ocispec.Descriptor
	for !x.done() {
		num, typ := x.field()
		if num == 3 && typ == protowire.VarintType {
			out.Size = int64(x.varint())
			continue
		}
		if typ != protowire.BytesType {
			x.skip(typ)
			continue
		}
		switch num {
		case 1:
			out.MediaType = x.bytes()
		case 2:
			out.Digest = digest.Digest(x.bytes())
		case 4:
			out.URLs = append(out.URLs, x.bytes())
		case 5:
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			d.stringMapEntry(&x, out.Annotations)
		case 6:
			if v := x.bytes(); v != "" {
				out.Data = []byte(v)
			}
		case 7:
			p := d.platform(&x)
			out.Platform = &p
		case 8:
			out.ArtifactType = x.bytes()
		default:
			x.bytes()
		}
	}
	r.child(&x)
	return out
}

func (d *decoder) identity(r *reader) *imagesvc.Identity {
	x := r.sub()
	out := &imagesvc.Identity{}
	for !x.done() {
		num, typ := x.field()
		if typ != protowire.BytesType {
			x.skip(typ)
			continue
		}
		e := x.sub()
		switch num {
		case 1:
			var p imagesvc.PullIdentity
			for !e.done() {
				n, t := e.field()
				if n == 1 && t == protowire.BytesType {
					p.Repository = e.bytes()
				} else {
					e.skip(t)
				}
			}
			out.Pull = append(out.Pull, p)
		case 2:
			var bi imagesvc.BuildIdentity
			for !e.done() {
				n, t := e.field()
				switch {
				case n == 1 && t == protowire.BytesType:
					bi.Ref = e.bytes()
				case n == 2 && t == protowire.BytesType:
					bi.CreatedAt = d.time(&e)
				default:
					e.skip(t)
				}
			}
			out.Build = append(out.Build, bi)
		}
		x.child(&e)
	}
	r.child(&x)
	return out
}

func (d *decoder) manifest(r *reader) imagesvc.ManifestSummary {
	x := r.sub()
	var out imagesvc.ManifestSummary
	for !x.done() {
		num, typ := x.field()
		if typ == protowire.VarintType {
			v := x.varint()
			switch num {
			case 3:
				out.Available = v != 0
			case 4:
				out.Size.Content = int64(v)
			case 5:
				out.Size.Total = int64(v)
			}
			continue
		}
		if typ != protowire.BytesType {
			x.skip(typ)
			continue
		}
		switch num {
		case 1:
			out.ID = digest.Digest(x.bytes())
		case 2:
			out.Descriptor = d.descriptor(&x)
		case 6:
			out.Kind = imagesvc.ManifestKind(x.bytes())
		case 7:
			e := x.sub()
			data := &imagesvc.ImageData{}
			for !e.done() {
				n, t := e.field()
				switch {
				case n == 1 && t == protowire.BytesType:
					data.Platform = d.platform(&e)
				case n == 2 && t == protowire.BytesType:
					data.Identity = d.identity(&e)
				case n == 3 && t == protowire.VarintType:
					data.Unpacked = int64(e.varint())
				case n == 4 && t == protowire.BytesType:
					data.Containers = append(data.Containers, e.bytes())
				default:
					e.skip(t)
				}
			}
			x.child(&e)
			out.ImageData = data
		case 8:
			e := x.sub()
			data := &imagesvc.AttestationData{}
			for !e.done() {
				n, t := e.field()
				if n == 1 && t == protowire.BytesType {
					data.For = digest.Digest(e.bytes())
				} else {
					e.skip(t)
				}
			}
			x.child(&e)
			out.AttestationData = data
		default:
			x.bytes()
		}
	}
	r.child(&x)
	return out
}

// labels decodes a StringMap. Each summary gets a map of its own, as from a backend in
// process, but equal label sets (byte for byte) are decoded once and cloned: the first
// summary gets the map that the later ones are cloned from, all before decodeList returns.
func (d *decoder) labels(r *reader) map[string]string {
	raw := r.bytes()
	if m, ok := d.labelMaps[raw]; ok {
		return maps.Clone(m)
	}
	x := reader{s: raw}
	m := map[string]string{}
	for !x.done() {
		num, typ := x.field()
		if num == 1 && typ == protowire.BytesType {
			d.stringMapEntry(&x, m)
		} else {
			x.skip(typ)
		}
	}
	r.child(&x)
	if d.labelMaps == nil {
		d.labelMaps = map[string]map[string]string{}
	}
	d.labelMaps[raw] = m
	return m
}

func (d *decoder) summary(r *reader, out *imagesvc.Summary, tags, digests *[]string) {
	x := r.sub()
	hasManifests := false
	t0, d0 := len(*tags), len(*digests)
	for !x.done() {
		num, typ := x.field()
		if typ == protowire.VarintType {
			v := x.varint()
			switch num {
			case 6:
				out.Size = int64(v)
			case 7:
				out.SharedSize = int64(v)
			case 9:
				out.Containers = int64(v)
			case 12:
				hasManifests = v != 0
			}
			continue
		}
		if typ != protowire.BytesType {
			x.skip(typ)
			continue
		}
		switch num {
		case 1:
			out.ID = digest.Digest(x.bytes())
		case 2:
			out.ParentID = digest.Digest(x.bytes())
		case 3:
			*tags = append(*tags, x.bytes())
		case 4:
			*digests = append(*digests, x.bytes())
		case 5:
			out.Created = d.time(&x)
		case 8:
			out.Labels = d.labels(&x)
		case 10:
			out.Descriptor = d.descriptor(&x)
		case 11:
			out.Manifests = append(out.Manifests, d.manifest(&x))
		default:
			x.bytes()
		}
	}
	r.child(&x)
	// The names live in slabs shared by the whole list; the capacity limits keep an append
	// by the caller from overwriting the next image's names.
	out.RepoTags = nonNil((*tags)[t0:len(*tags):len(*tags)])
	out.RepoDigests = nonNil((*digests)[d0:len(*digests):len(*digests)])
	if hasManifests && out.Manifests == nil {
		out.Manifests = []imagesvc.ManifestSummary{}
	}
}

// listDecoder decodes the ListResponse messages of one list. Once the first message has
// given the total, each message is handed to one of up to decodeWorkers goroutines, which
// decode it into its place in one preallocated result while the next messages arrive.
// Without a total, or past it, messages are decoded in order by add itself.
type listDecoder struct {
	out  []imagesvc.Summary // preallocated from the total, bounded by the first message
	n    int                // summaries of out handed to workers
	more []imagesvc.Summary // decoded in order, after out[:n]
	seq  chunkDecoder

	etag        string // the first etag of the messages
	notModified bool   // some message said not_modified
	messages    int    // messages added

	jobs chan listJob
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
}

// decodeWorkers bounds the goroutines that decode one list.
const decodeWorkers = 2

type listJob struct {
	s   string
	out []imagesvc.Summary
}

// chunkDecoder is the state of one decoding goroutine: its label maps and its slabs of
// names.
type chunkDecoder struct {
	decoder
	tags    []string
	digests []string
}

// listHeader is what scanList reads of a ListResponse: all but the images.
type listHeader struct {
	count       int // images
	total       uint64
	etag        string
	notModified bool
}

// scanList counts the images of a ListResponse and reads its other fields.
func scanList(s string) (listHeader, error) {
	var h listHeader
	r := reader{s: s}
	for !r.done() {
		num, typ := r.field()
		switch {
		case num == 1 && typ == protowire.BytesType:
			h.count++
			r.skip(typ)
		case num == 2 && typ == protowire.VarintType:
			h.total = r.varint()
		case num == 3 && typ == protowire.BytesType:
			h.etag = r.bytes()
		case num == 4 && typ == protowire.VarintType:
			h.notModified = r.varint() != 0
		default:
			r.skip(typ)
		}
	}
	return h, r.err
}

// decode decodes the images of a ListResponse, appending them to out.
func (d *chunkDecoder) decode(s string, out []imagesvc.Summary) ([]imagesvc.Summary, error) {
	// Room for two tags and one digest per image of a full message, in fresh slabs when
	// the current ones are short (the images decoded so far keep theirs).
	if room := cap(out) - len(out); room > 0 {
		if cap(d.tags)-len(d.tags) < 2*room {
			d.tags = make([]string, 0, max(2*room, 256))
		}
		if cap(d.digests)-len(d.digests) < room {
			d.digests = make([]string, 0, max(room, 128))
		}
	}
	r := reader{s: s}
	for !r.done() {
		num, typ := r.field()
		if num != 1 || typ != protowire.BytesType {
			r.skip(typ)
			continue
		}
		out = append(out, imagesvc.Summary{})
		d.summary(&r, &out[len(out)-1], &d.tags, &d.digests)
	}
	return out, r.err
}

// add decodes one ListResponse, or hands it to a worker.
func (l *listDecoder) add(s string) error {
	h, err := scanList(s)
	if err != nil {
		return err
	}
	l.messages++
	if l.etag == "" {
		l.etag = h.etag
	}
	l.notModified = l.notModified || h.notModified
	count, total := h.count, h.total
	if l.out == nil && l.n == 0 && len(l.more) == 0 && total > 0 {
		// The total is the peer's word, not a size to allocate: a message of 6 bytes can
		// claim 4 billion images. Each image takes at least 2 bytes of a message (its tag
		// and its length), so the preallocation is bounded by what this message could
		// hold, as decoding the images themselves is: the memory stays proportional to
		// the bytes received. A real first message holds at least listChunk bytes when
		// the list does not fit in it, which covers lists of about 130,000 images; the
		// images past the preallocation, of a longer list or of a false total, are
		// decoded in order into l.more.
		l.out = make([]imagesvc.Summary, min(total, uint64(len(s)/2)))
		l.jobs = make(chan listJob, 64)
		for range min(decodeWorkers, runtime.GOMAXPROCS(0)) {
			l.wg.Add(1)
			go l.work()
		}
	}
	if l.jobs != nil && len(l.more) == 0 && l.n+count <= len(l.out) {
		l.jobs <- listJob{s: s, out: l.out[l.n : l.n : l.n+count]}
		l.n += count
		return nil
	}
	l.more, err = l.seq.decode(s, l.more)
	return err
}

func (l *listDecoder) work() {
	defer l.wg.Done()
	var d chunkDecoder
	for j := range l.jobs {
		if _, err := d.decode(j.s, j.out); err != nil {
			l.mu.Lock()
			if l.err == nil {
				l.err = err
			}
			l.mu.Unlock()
		}
	}
}

// finish waits for the workers and returns the list: never nil. It must be called once
// after the last add, whatever happened.
func (l *listDecoder) finish() ([]imagesvc.Summary, error) {
	if l.jobs != nil {
		close(l.jobs)
		l.wg.Wait()
	}
	if l.err != nil {
		return nil, l.err
	}
	out := l.out[:l.n]
	if len(l.more) > 0 {
		out = append(out, l.more...)
	}
	if out == nil {
		out = []imagesvc.Summary{}
	}
	return out, nil
}

// decodeList reads one ListResponse holding a whole list.
func decodeList(s string) ([]imagesvc.Summary, error) {
	var l listDecoder
	if err := l.add(s); err != nil {
		_, _ = l.finish()
		return nil, err
	}
	return l.finish()
}
