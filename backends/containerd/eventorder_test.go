package containerd

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	contentapi "github.com/containerd/containerd/api/services/content/v1"
	client "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// TestEventOrder moves one name concurrently with every action that names an image (pulls
// of it, tags onto it, imports named by it) and with another containerd client moving it
// behind the Store's back, and checks that the events a watcher receives end as the
// records do: the last event about the name says where it points in the end. Each action
// must therefore publish its events while it still holds the records' lock; an action
// that publishes after releasing it can be overtaken by the next action's events or by
// the report of a foreign change, and the watcher is left believing the name points
// elsewhere.
func TestEventOrder(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			testEventOrder(t, v)
		})
	}
}

func testEventOrder(t *testing.T, v string) {
	reg := testregistry.New(t, testregistry.Options{})
	var targets []digest.Digest
	for i := range 3 {
		img, err := testimages.OCIManifest(testimages.Config{Seed: uint64(i + 1), Platform: amd64})
		require.NoError(t, err)
		require.NoError(t, reg.Put("p/img", "v"+strconv.Itoa(i), img))
		targets = append(targets, img.Descriptor.Digest)
	}
	// Reading blobs is slow (the labels of an event are read from the image's manifest
	// and config), which widens the moment between a pull's or an import's change and its
	// events: another action's events would come first if it published them only after
	// releasing the records' lock.
	// The images the tags move the name onto read fast, so that a tag overtakes.
	fast := map[string]bool{}
	for _, d := range targets[1:] {
		fast[d.String()] = true
	}
	slow := slowReads{delay: 20 * time.Millisecond, fast: fast}
	s, d := open(t, v, Options{Insecure: []string{reg.Host()}, Platform: amd64, DialOptions: slow.dialOptions()})
	ctx := context.Background()
	pullRef := func(tag string) reference.Named {
		ref, err := imagesvc.ParsePullReference(reg.Host()+"/p/img", tag, "")
		require.NoError(t, err)
		return ref
	}
	for i := range 3 {
		_, err := s.Pull(ctx, imagesvc.PullRequest{Ref: pullRef("v" + strconv.Itoa(i))}, nil)
		require.NoError(t, err)
	}
	name := pullRef("v0") // the name everything moves; pulled, it points at targets[0]
	familiar := reference.FamiliarString(name)

	c, err := client.New(d.Address())
	require.NoError(t, err)
	defer c.Close()
	nctx := namespaces.WithNamespace(ctx, s.Namespace())
	var descs []ocispec.Descriptor
	for i := range 3 {
		rec, err := c.ImageService().Get(nctx, pullRef("v"+strconv.Itoa(i)).String())
		require.NoError(t, err)
		descs = append(descs, rec.Target)
	}
	// Records the test keeps (reported before the bursts begin) hold every image
	// and the imports' layers, so that garbage collection, which an image losing its
	// last record triggers, stays out of the race this test is about.
	for i, desc := range descs {
		_, err := c.ImageService().Create(nctx, images.Image{Name: "keep/" + strconv.Itoa(i), Target: desc})
		require.NoError(t, err)
	}
	for i := range 2 {
		id, err := s.Import(ctx, imagesvc.ImportRequest{Source: bytes.NewReader(testimages.Tar([]testimages.File{{Name: "seed", Data: []byte(strconv.Itoa(i))}}))}, nil)
		require.NoError(t, err)
		rec, err := c.ImageService().Get(nctx, danglingName(id))
		require.NoError(t, err)
		_, err = c.ImageService().Create(nctx, images.Image{Name: "keep/import" + strconv.Itoa(i), Target: rec.Target})
		require.NoError(t, err)
	}
	var pulled, imported, done chan struct{} // closed when the burst's pull, import, both returned
	actors := []func(i int) error{
		func(int) error { // a pull of the name: back to targets[0]
			defer close(pulled)
			_, err := s.Pull(ctx, imagesvc.PullRequest{Ref: name}, nil)
			return err
		},
		func(i int) error { // a tag of another image onto the name
			src, err := imagesvc.ParseImageRef(targets[1+i%2].String())
			if err != nil {
				return err
			}
			return s.Tag(ctx, src, name.(reference.NamedTagged))
		},
		func(i int) error {
			// Once containerd says the name points at targets[0] or at an import (the
			// pull's change, the import's, or the other client's), a tag right away: it
			// must come after the pull's or the import's events, which they must have
			// published before releasing the lock this tag waits for.
			src, err := imagesvc.ParseImageRef(targets[1+i%2].String())
			if err != nil {
				return err
			}
			sctx, cancel := context.WithCancel(nctx)
			defer cancel()
			evs, errs := c.Subscribe(sctx, `topic~="^/images/"`)
			for {
				select {
				case <-done:
					return nil
				case err := <-errs:
					return err
				case <-evs:
					rec, err := c.ImageService().Get(nctx, name.String())
					if err == nil && rec.Target.Digest != targets[1] && rec.Target.Digest != targets[2] {
						if err := s.Tag(ctx, src, name.(reference.NamedTagged)); err != nil {
							return err
						}
					}
				}
			}
		},
		func(i int) error { // an import named by it
			defer close(imported)
			_, err := s.Import(ctx, imagesvc.ImportRequest{
				Source: bytes.NewReader(testimages.Tar([]testimages.File{{Name: "seed", Data: []byte(strconv.Itoa(i % 2))}})),
				Ref:    name.(reference.NamedTagged),
			}, nil)
			return err
		},
		func(i int) error { // another client moving it (ctr images tag --force)
			rec := images.Image{Name: name.String(), Target: descs[(i+1)%3]}
			_, err := c.ImageService().Update(nctx, rec, "target")
			if errdefs.IsNotFound(err) {
				_, err = c.ImageService().Create(nctx, rec)
			}
			return err
		},
	}
	_, _, start := eventsSince(t, s, 0)
	const bursts = 12
	for burst := range bursts {
		// All the actors at once, then every change reported: the last event about the
		// name must say where it points.
		var wg sync.WaitGroup
		p, im, dn := make(chan struct{}), make(chan struct{}), make(chan struct{})
		pulled, imported, done = p, im, dn
		go func() {
			<-p
			<-im
			close(dn)
		}()
		errs := make([]error, len(actors))
		for i, act := range actors {
			wg.Go(func() { errs[i] = act(burst) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		var evs []imagesvc.Event
		_, evs, start = eventsSince(t, s, start)
		rec, err := c.ImageService().Get(nctx, name.String())
		require.NoError(t, err)
		final := rec.Target.Digest
		var last *imagesvc.Event
		for i := range evs {
			ev := &evs[i]
			if (ev.Action == imagesvc.EventPull && ev.ID == familiar) ||
				((ev.Action == imagesvc.EventTag || ev.Action == imagesvc.EventUntag) && ev.Attributes["name"] == familiar) {
				last = ev
			}
		}
		require.NotNil(t, last, "burst %d: no event about %s among %d", burst, familiar, len(evs))
		switch last.Action {
		case imagesvc.EventPull:
			require.Equal(t, targets[0], final, "burst %d: the last event is a pull of the name, but it points elsewhere", burst)
		case imagesvc.EventTag:
			require.Equal(t, final.String(), last.ID, "burst %d: the last event tags the name onto another image than its final one", burst)
		default:
			t.Fatalf("burst %d: the last event about the name is %s, but it exists", burst, last.Action)
		}
	}
}

// slowReads delays the client's reads of blobs from containerd's content store, but for
// a few.
type slowReads struct {
	delay time.Duration
	fast  map[string]bool // blobs read without delay: the manifests tagged
}

func (w *slowReads) dialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		return &slowStream{ClientStream: cs, w: w}, err
	})}
}

type slowStream struct {
	grpc.ClientStream
	w *slowReads
}

func (s *slowStream) SendMsg(m any) error {
	if r, ok := m.(*contentapi.ReadContentRequest); ok && !s.w.fast[r.Digest] {
		time.Sleep(s.w.delay)
	}
	return s.ClientStream.SendMsg(m)
}

func indexOf(ds []digest.Digest, d digest.Digest) int {
	for i, x := range ds {
		if x == d {
			return i
		}
	}
	return -1
}
