package containerd

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/containerdtest"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// eventsSince returns the events the Store published after the n first ones, each as
// "action id name", and the total count. It first lets every containerd event published
// so far be compared and reported.
func eventsSince(t *testing.T, s *Store, n int) ([]string, []imagesvc.Event, int) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.settleEvents(ctx))
	var all []imagesvc.Event
	err := s.WatchEvents(ctx, imagesvc.EventOptions{Since: time.Unix(0, 0), Until: time.Now()}, func(ev imagesvc.Event) error {
		all = append(all, ev)
		return nil
	})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(all), n)
	var out []string
	for _, ev := range all[n:] {
		out = append(out, string(ev.Action)+" "+ev.ID+" "+ev.Attributes["name"])
	}
	return out, all[n:], len(all)
}

// TestImageEvents performs every image action of the Store and checks that each gives
// Docker's events exactly once: containerd's own events about the records the Store
// changed, which the Store follows, add nothing. Changes made with ctr behind the Store's
// back are then reported as tag, untag and delete.
func TestImageEvents(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{
		Platform: amd64, Labels: map[string]string{"com.example.events": "yes"},
		Layers: [][]testimages.File{{{Name: "etc/events", Data: []byte("events\n")}}},
	})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/alpha", "1", img))
	require.NoError(t, reg.Put("library/alpha", "2", img))
	hosts := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	x := img.Descriptor.Digest.String()
	host := reg.Host()

	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			ctx := context.Background()
			s, d := open(t, v, Options{Platform: amd64, HostsDir: hosts})
			ns := s.Namespace()

			// The Store's own actions.
			pullImage(t, s, host+"/library/alpha:1", nil)
			require.NoError(t, s.Tag(ctx, mustRef(t, host+"/library/alpha:1"), tagRef(t, "foo:v1")))
			_, err := s.Remove(ctx, mustRef(t, "foo:v1"), imagesvc.RemoveOptions{})
			require.NoError(t, err)
			i := importImage(t, s, "imp:v1", "events").String()
			var archive bytes.Buffer
			require.NoError(t, s.Save(ctx, imagesvc.SaveRequest{Refs: []imagesvc.ImageRef{mustRef(t, "imp:v1")}}, &archive))
			_, err = s.Remove(ctx, mustRef(t, "imp:v1"), imagesvc.RemoveOptions{})
			require.NoError(t, err)
			_, err = s.Load(ctx, imagesvc.LoadRequest{Source: &archive})
			require.NoError(t, err)
			require.NoError(t, s.Tag(ctx, mustRef(t, host+"/library/alpha:1"), tagRef(t, host+"/team/pushed:1")))
			pushed, err := reference.ParseNormalizedNamed(host + "/team/pushed:1")
			require.NoError(t, err)
			require.NoError(t, s.Push(ctx, imagesvc.PushRequest{Ref: pushed}, nil))

			got, evs, n := eventsSince(t, s, 0)
			assert.Equal(t, []string{
				"pull " + host + "/library/alpha:1 " + host + "/library/alpha",
				"tag " + x + " foo:v1",
				"untag " + x + " foo:v1",
				"tag " + i + " imp:v1",
				"import " + i + " " + i,
				"save " + i + " " + i,
				"untag " + i + " imp:v1",
				"delete " + i + " " + i,
				"load " + i + " " + i,
				"tag " + x + " " + host + "/team/pushed:1",
				"push " + host + "/team/pushed:1 " + host + "/team/pushed",
			}, got, "each own action once, none from containerd's events")
			require.Len(t, evs, 11)
			assert.Equal(t, "yes", evs[0].Attributes["com.example.events"], "pull: config labels")
			assert.Equal(t, "yes", evs[1].Attributes["com.example.events"], "tag: config labels")
			assert.Equal(t, map[string]string{"name": "foo:v1"}, evs[2].Attributes, "untag: name only")
			assert.Equal(t, "yes", evs[10].Attributes["com.example.events"], "push: config labels")

			// Behind the Store's back: a name created, an image pulled, names removed.
			d.Ctr(t, ns, "images", "tag", host+"/library/alpha:1", "docker.io/library/ext:1")
			got, evs, n2 := eventsSince(t, s, n)
			assert.Equal(t, []string{"tag " + x + " ext:1"}, got)
			if len(evs) == 1 {
				assert.Equal(t, "yes", evs[0].Attributes["com.example.events"])
			}
			d.Ctr(t, ns, "images", "pull", "--plain-http", "--snapshotter", d.Snapshotter(), host+"/library/alpha:2")
			got, _, n3 := eventsSince(t, s, n2)
			assert.Equal(t, []string{"tag " + x + " " + host + "/library/alpha:2"}, got)
			d.Ctr(t, ns, "images", "rm", "docker.io/library/ext:1")
			d.Ctr(t, ns, "images", "rm", host+"/library/alpha:2")
			got, _, n4 := eventsSince(t, s, n3)
			assert.Equal(t, []string{"untag " + x + " ext:1", "untag " + x + " " + host + "/library/alpha:2"}, got,
				"other names remain: no delete")

			// Every name of an image removed behind the Store's back: one delete.
			solo := importImage(t, s, "solo:1", "solo").String()
			require.NoError(t, s.Tag(ctx, mustRef(t, "solo:1"), tagRef(t, "solo:2")))
			d.Ctr(t, ns, "images", "rm", "docker.io/library/solo:1", "docker.io/library/solo:2")
			got, _, n5 := eventsSince(t, s, n4)
			assert.Equal(t, []string{
				"tag " + solo + " solo:1", "import " + solo + " " + solo, "tag " + solo + " solo:2",
				"untag " + solo + " solo:1", "untag " + solo + " solo:2", "delete " + solo + " " + solo,
			}, got)

			// A prune of everything: untag and delete per record, freed content once.
			_, err = s.Prune(ctx, pruneAll())
			require.NoError(t, err)
			got, _, _ = eventsSince(t, s, n5)
			assert.Equal(t, []string{
				"untag " + x + " " + host + "/library/alpha:1",
				"untag " + x + " " + host + "/team/pushed:1",
				"delete " + x + " " + host + "/team/pushed:1",
				"untag " + i + " imp:v1",
				"delete " + i + " imp:v1",
			}, got, "in name order; the delete where the content went")
		})
	}
}

// TestImageEventsAfterRestart restarts containerd under a Store and changes the records
// at once, before or just after the Store has subscribed again: the changes are reported
// either way (from the records listed once the stream is back, or from the new stream),
// and the records that did not change are not reported again. TestImageEventsResync
// checks the comparison of the full list on its own.
func TestImageEventsAfterRestart(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			d := containerdtest.Start(t, containerdtest.Options{Version: v})
			s, _ := open(t, v, Options{Address: d.Address(), Snapshotter: d.Snapshotter()})
			ctx := context.Background()
			id := importImage(t, s, "restart:1", "restart").String()
			importImage(t, s, "stays:1", "stays")
			require.True(t, s.events.waitLive(ctx, 5*time.Second))
			_, _, n := eventsSince(t, s, 0)
			require.Equal(t, 4, n)

			require.NoError(t, d.Restart())
			d.Ctr(t, s.Namespace(), "images", "tag", "docker.io/library/restart:1", "docker.io/library/restart:2")
			d.Ctr(t, s.Namespace(), "images", "rm", "docker.io/library/restart:1")
			require.Eventually(t, func() bool { return s.events.subscriptions.Load() == 2 }, 15*time.Second, 10*time.Millisecond,
				"the Store subscribes again")
			require.True(t, s.events.waitLive(ctx, 5*time.Second))
			got, _, _ := eventsSince(t, s, n)
			assert.ElementsMatch(t, []string{"tag " + id + " restart:2", "untag " + id + " restart:1"}, got)
		})
	}
}

// TestImageEventsResync checks the comparison of a full list with what the Store knows:
// a record the Store missed the creation of is reported as a tag, one it missed the
// deletion of as an untag and, with no record of its image left, a delete; dangling
// records give no tag or untag.
func TestImageEventsResync(t *testing.T) {
	s, _ := open(t, containerdtest.Version2, Options{Platform: amd64})
	a := importImage(t, s, "a:1", "a")
	b := importImage(t, s, "b:1", "b")
	_, _, n := eventsSince(t, s, 0)

	// As if the Store had not seen a:1 created, nor gone.example/c:1 (target b) and
	// the dangling record of a third image deleted.
	gone := digest.FromString("gone")
	s.watch.mu.Lock()
	delete(s.watch.known, "docker.io/library/a:1")
	s.watch.known["gone.example/c:1"] = b
	s.watch.known[danglingName(gone)] = gone
	s.watch.mu.Unlock()
	s.watch.resync()
	got, evs, _ := eventsSince(t, s, n)
	assert.Equal(t, []string{
		"tag " + a.String() + " a:1",
		"untag " + b.String() + " gone.example/c:1",
		"delete " + gone.String() + " " + gone.String(),
	}, got, "b keeps b:1: no delete")
	if len(evs) == 3 {
		assert.Equal(t, map[string]string{"name": gone.String()}, evs[2].Attributes)
	}
}

// settleEvents reports the changes containerd reported before it was called.
func (s *Store) settleEvents(ctx context.Context) error {
	unlock, err := s.lockWrites(s.nsContext(ctx))
	if err != nil {
		return err
	}
	unlock()
	return nil
}
