package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// versioned is a backend with a list and a version that the test sets, which counts its
// lists and may ask the host which containers use its images.
type versioned struct {
	imagesvc.Service // not called

	mu         sync.Mutex
	sums       []imagesvc.Summary
	version    int
	versionErr error
	askHost    []digest.Digest // asked of HostUsage by every List, when not nil
	lists      atomic.Int32
}

func (v *versioned) List(ctx context.Context, _ imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	v.lists.Add(1)
	v.mu.Lock()
	sums, ask := v.sums, v.askHost
	v.mu.Unlock()
	if ask != nil {
		if _, err := HostUsage().ContainersUsing(ctx, ask); err != nil {
			return nil, err
		}
	}
	return sums, nil
}

func (v *versioned) ListVersion(context.Context) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return strconv.Itoa(v.version), v.versionErr
}

func (v *versioned) set(f func(v *versioned)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f(v)
}

// unversioned hides the ListVersion of the backend it holds.
type unversioned struct{ imagesvc.Service }

// serveList serves srv on a Unix socket, with List answered by the fast path or by the
// generated code, and returns a client connection to it.
func serveList(t *testing.T, srv pb.BackendServer, fast bool) *grpc.ClientConn {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	g := newGRPCServer(nil)
	if fast {
		g.RegisterService(backendServiceDesc(), srv)
	} else {
		g.RegisterService(&pb.Backend_ServiceDesc, srv)
	}
	go func() { _ = g.Serve(l) }()
	t.Cleanup(g.Stop)
	cc, err := grpc.NewClient("unix://"+sock, append(dialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// rawList makes a list call with the generated client and returns its messages.
func rawList(t *testing.T, cc *grpc.ClientConn, req *pb.ListRequest) []*pb.ListResponse {
	t.Helper()
	stream, err := pb.NewBackendClient(cc).List(context.Background(), req)
	require.NoError(t, err)
	var out []*pb.ListResponse
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, m)
	}
}

// answer sums up the messages of a list.
type answer struct {
	images      int
	total       uint32
	etag        string
	notModified bool
	messages    int
}

func summarize(t *testing.T, msgs []*pb.ListResponse) answer {
	t.Helper()
	var a answer
	a.messages = len(msgs)
	for i, m := range msgs {
		a.images += len(m.GetImages())
		if i == 0 {
			a.total, a.etag, a.notModified = m.GetTotal(), m.GetEtag(), m.GetNotModified()
		} else {
			assert.Empty(t, m.GetEtag(), "the etag is in the first message only")
			assert.False(t, m.GetNotModified())
		}
	}
	return a
}

func testSums(n int) []imagesvc.Summary {
	sums := make([]imagesvc.Summary, n)
	for i := range sums {
		sums[i] = imagesvc.Summary{ID: digest.FromString(fmt.Sprint(i)), RepoTags: []string{fmt.Sprintf("i%d:latest", i)}, RepoDigests: []string{}, SharedSize: -1}
	}
	return sums
}

// fakeUsage is the host's usage service, answering no containers.
type fakeUsage struct{ calls atomic.Int32 }

func (f *fakeUsage) ContainersUsing(context.Context, *pb.ContainersUsingRequest, ...grpc.CallOption) (*pb.ContainersUsingResponse, error) {
	f.calls.Add(1)
	return &pb.ContainersUsingResponse{}, nil
}

func (f *fakeUsage) Containers(context.Context, *pb.ContainersRequest, ...grpc.CallOption) (*pb.ContainersResponse, error) {
	f.calls.Add(1)
	return &pb.ContainersResponse{}, nil
}

// The plugin's side of conditional lists, identical on the fast path and with the
// generated code: which answers get an etag, and when an etag is accepted.
func TestServerConditionalList(t *testing.T) {
	for _, fast := range []bool{true, false} {
		t.Run(map[bool]string{true: "fast", false: "generated"}[fast], func(t *testing.T) {
			impl := &versioned{sums: testSums(1200)} // several messages with the generated code
			srv := newServer(impl, ServeOptions{}, slog.New(slog.DiscardHandler))
			cc := serveList(t, srv, fast)
			calls := func() int { return int(impl.lists.Load()) }

			full := summarize(t, rawList(t, cc, &pb.ListRequest{}))
			assert.Equal(t, 1200, full.images)
			assert.EqualValues(t, 1200, full.total)
			assert.False(t, full.notModified)
			require.NotEmpty(t, full.etag)
			assert.Less(t, len(full.etag), 40, "etags are short")
			if !fast {
				assert.Greater(t, full.messages, 1) // 500 images a message
			}
			etag := full.etag

			// The same request with the etag: one message, and no list.
			before := calls()
			nm := rawList(t, cc, &pb.ListRequest{IfNoneMatch: etag})
			require.Len(t, nm, 1)
			assert.True(t, proto.Equal(&pb.ListResponse{Etag: etag, NotModified: true}, nm[0]), "%v", nm[0])
			assert.Equal(t, before, calls(), "a list answered not modified does not list")

			// An unknown etag, or one of other options, gets the list in full.
			for _, req := range []*pb.ListRequest{
				{IfNoneMatch: "bogus"},
				{IfNoneMatch: etag, All: true},
				{IfNoneMatch: etag, SharedSize: true},
				{IfNoneMatch: etag, Manifests: true},
				{IfNoneMatch: etag, Manifests: true, Identity: true},
				{IfNoneMatch: etag, Filters: `{"label":{"a":true}}`},
			} {
				a := summarize(t, rawList(t, cc, req))
				assert.False(t, a.notModified, "%v", req)
				assert.Equal(t, 1200, a.images, "%v", req)
				assert.NotEmpty(t, a.etag)
				if req.IfNoneMatch == etag {
					assert.NotEqual(t, etag, a.etag, "the etag covers the request's options: %v", req)
				}
			}

			// A new version: the old etag no longer holds.
			impl.set(func(v *versioned) { v.version++; v.sums = testSums(3) })
			a := summarize(t, rawList(t, cc, &pb.ListRequest{IfNoneMatch: etag}))
			assert.False(t, a.notModified)
			assert.Equal(t, 3, a.images)
			assert.NotEqual(t, etag, a.etag)

			// until depends on the clock: no etag, and none accepted.
			until := `{"until":{"10m":true}}`
			a = summarize(t, rawList(t, cc, &pb.ListRequest{Filters: until}))
			assert.Empty(t, a.etag)
			srvEtag := srv.etag("1", &pb.ListRequest{Filters: until})
			a = summarize(t, rawList(t, cc, &pb.ListRequest{Filters: until, IfNoneMatch: srvEtag}))
			assert.False(t, a.notModified)
			assert.Equal(t, 3, a.images)

			// An empty list with an etag is one message with the etag alone.
			impl.set(func(v *versioned) { v.version++; v.sums = nil })
			msgs := rawList(t, cc, &pb.ListRequest{})
			require.Len(t, msgs, 1)
			assert.Empty(t, msgs[0].GetImages())
			require.NotEmpty(t, msgs[0].GetEtag())
			a = summarize(t, rawList(t, cc, &pb.ListRequest{IfNoneMatch: msgs[0].GetEtag()}))
			assert.True(t, a.notModified)

			// A failing ListVersion: the list in full, without etag.
			impl.set(func(v *versioned) { v.versionErr = errors.New("no version"); v.sums = testSums(2) })
			a = summarize(t, rawList(t, cc, &pb.ListRequest{IfNoneMatch: msgs[0].GetEtag()}))
			assert.Equal(t, answer{images: 2, total: 2, messages: 1}, a)
			impl.set(func(v *versioned) { v.versionErr = nil })
		})
	}
}

// A list for which the backend asked the host which containers use its images gets no
// etag: the host's containers change without the backend's version changing. Asking
// about no image at all does not reach the host, and does not count.
func TestServerNoEtagWhenHostAsked(t *testing.T) {
	impl := &versioned{sums: testSums(2)}
	srv := newServer(impl, ServeOptions{}, slog.New(slog.DiscardHandler))
	usage := &fakeUsage{}
	srv.usage = usage
	cc := serveList(t, srv, true)

	impl.set(func(v *versioned) { v.askHost = []digest.Digest{digest.FromString("x")} })
	a := summarize(t, rawList(t, cc, &pb.ListRequest{}))
	assert.Equal(t, 2, a.images)
	assert.Empty(t, a.etag)
	assert.EqualValues(t, 1, usage.calls.Load())
	a = summarize(t, rawList(t, cc, &pb.ListRequest{}))
	assert.Empty(t, a.etag)
	assert.EqualValues(t, 2, usage.calls.Load())

	impl.set(func(v *versioned) { v.askHost = []digest.Digest{} })
	a = summarize(t, rawList(t, cc, &pb.ListRequest{}))
	assert.NotEmpty(t, a.etag)
	assert.EqualValues(t, 2, usage.calls.Load())

	// Without a usage service on the host, HostUsage answers itself.
	srv.usage = nil
	impl.set(func(v *versioned) { v.askHost = []digest.Digest{digest.FromString("x")} })
	a = summarize(t, rawList(t, cc, &pb.ListRequest{}))
	assert.NotEmpty(t, a.etag)
}

// Every server draws its own nonce: a relaunched plugin, whose backend starts again from
// the same version, never accepts the etags of the process before it.
func TestServerEtagsDifferPerProcess(t *testing.T) {
	impl := &versioned{sums: testSums(2)}
	first := newServer(impl, ServeOptions{}, slog.New(slog.DiscardHandler))
	second := newServer(impl, ServeOptions{}, slog.New(slog.DiscardHandler))
	req := &pb.ListRequest{}
	assert.NotEqual(t, first.etag("0", req), second.etag("0", req))

	cc := serveList(t, second, true)
	a := summarize(t, rawList(t, cc, &pb.ListRequest{IfNoneMatch: first.etag("0", req)}))
	assert.False(t, a.notModified)
	assert.Equal(t, 2, a.images)
}

// A backend that is not a ListVersioner is served as before: no etag, and if_none_match
// is ignored.
func TestServerWithoutListVersioner(t *testing.T) {
	impl := &versioned{sums: testSums(2)}
	srv := newServer(unversioned{impl}, ServeOptions{}, slog.New(slog.DiscardHandler))
	for _, fast := range []bool{true, false} {
		cc := serveList(t, srv, fast)
		a := summarize(t, rawList(t, cc, &pb.ListRequest{IfNoneMatch: srv.etag("0", &pb.ListRequest{})}))
		assert.Equal(t, answer{images: 2, total: 2, messages: 1}, a)
		msgs := rawList(t, cc, &pb.ListRequest{Filters: `{"dangling":{"true":true}}`})
		require.Len(t, msgs, 1)
		impl.set(func(v *versioned) { v.sums = nil })
		assert.Empty(t, rawList(t, cc, &pb.ListRequest{}), "an empty list without etag is no message")
		impl.set(func(v *versioned) { v.sums = testSums(2) })
	}
}

// scripted is a plugin that answers lists as the test says, and records the
// if_none_match of each request.
type scripted struct {
	pb.UnimplementedBackendServer
	mu      sync.Mutex
	answers [][]*pb.ListResponse // one per call, in order
	asked   []string
}

func (s *scripted) List(req *pb.ListRequest, stream grpc.ServerStreamingServer[pb.ListResponse]) error {
	s.mu.Lock()
	s.asked = append(s.asked, req.GetIfNoneMatch())
	var msgs []*pb.ListResponse
	if len(s.answers) > 0 {
		msgs, s.answers = s.answers[0], s.answers[1:]
	}
	s.mu.Unlock()
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			return err
		}
	}
	return nil
}

func (s *scripted) script(answers ...[]*pb.ListResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = answers
	s.asked = nil
}

func (s *scripted) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

// The host's side: it keeps what comes with an etag, sends the etag back, answers from
// what it kept when told not modified, forgets an answer that comes back without an
// etag, and refuses not modified answers that make no sense.
func TestHostConditionalList(t *testing.T) {
	srv := &scripted{}
	cc := serveList(t, srv, false)
	c := &conn{cc: cc, rpc: pb.NewBackendClient(cc)}
	ctx := context.Background()
	sums := testSums(3)
	full := func(etag string) []*pb.ListResponse {
		m := &pb.ListResponse{Total: 3, Etag: etag}
		for i := range sums {
			m.Images = append(m.Images, encodeSummary(&sums[i]))
		}
		return []*pb.ListResponse{m}
	}
	notModified := func(etag string) []*pb.ListResponse {
		return []*pb.ListResponse{{Etag: etag, NotModified: true}}
	}
	ids := func(sums []imagesvc.Summary) []digest.Digest {
		var out []digest.Digest
		for _, s := range sums {
			out = append(out, s.ID)
		}
		return out
	}

	// A not modified answer to an unconditional list.
	srv.script(notModified("e"))
	_, err := c.list(ctx, imagesvc.ListOptions{})
	require.Error(t, err)
	assert.True(t, errdefs.IsInternal(err), "%v", err)

	srv.script(full("e1"), notModified("e1"), notModified(""), full("e2"), notModified("e1"), full(""), full(""))
	for range 3 {
		got, err := c.list(ctx, imagesvc.ListOptions{})
		require.NoError(t, err)
		assert.Equal(t, ids(sums), ids(got))
	}
	// Other options are another list.
	got, err := c.list(ctx, imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	assert.Equal(t, ids(sums), ids(got))
	got, err = c.list(ctx, imagesvc.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, ids(sums), ids(got))
	// An answer without an etag: what was kept is forgotten.
	_, err = c.list(ctx, imagesvc.ListOptions{})
	require.NoError(t, err)
	_, err = c.list(ctx, imagesvc.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"", "e1", "e1", "", "e1", "e1", ""}, srv.requests())

	// Nonsense: not modified with images, with another etag, or in several messages.
	for _, bad := range [][]*pb.ListResponse{
		{{Etag: "e3", NotModified: true, Images: full("")[0].Images}},
		{{Etag: "other", NotModified: true}},
		{{Etag: "e3", NotModified: true}, {Etag: "e3", NotModified: true}},
	} {
		srv.script(full("e3"), bad)
		_, err := c.list(ctx, imagesvc.ListOptions{})
		require.NoError(t, err)
		_, err = c.list(ctx, imagesvc.ListOptions{})
		require.Error(t, err, "%v", bad)
		assert.True(t, errdefs.IsInternal(err), "%v", err)
	}
}

// The until filter is never sent conditionally, even when some plugin gave an etag.
func TestHostListUntil(t *testing.T) {
	impl := &versioned{sums: testSums(2)}
	srv := newServer(impl, ServeOptions{}, slog.New(slog.DiscardHandler))
	cc := serveList(t, srv, true)
	c := &conn{cc: cc, rpc: pb.NewBackendClient(cc)}
	opts := imagesvc.ListOptions{Filters: filters.NewArgs(filters.Arg("until", "1h"))}
	for range 3 {
		got, err := c.list(context.Background(), opts)
		require.NoError(t, err)
		assert.Len(t, got, 2)
	}
	assert.EqualValues(t, 3, impl.lists.Load())
}

// A plugin written before ListVersion existed answers UNIMPLEMENTED without an
// ErrorInfo: the host takes it as NotImplemented (and an HTTP host sends no ETag). A
// plugin whose backend has no version says not_implemented itself.
func TestListVersionOldPlugin(t *testing.T) {
	for _, srv := range []pb.BackendServer{
		&scripted{},
		newServer(unversioned{&versioned{}}, ServeOptions{}, slog.New(slog.DiscardHandler)),
	} {
		cc := serveList(t, srv, false)
		c := &conn{cc: cc, rpc: pb.NewBackendClient(cc)}
		_, err := c.listVersion(context.Background())
		require.Error(t, err)
		native, _ := fromStatus(err)
		assert.True(t, errdefs.IsNotImplemented(native), "%v", native)
	}
}
