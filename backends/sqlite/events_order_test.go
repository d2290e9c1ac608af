package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
)

// TestEventsInCommitOrder: imports and tags moving one name between images at once; a
// watcher that follows the name's events ends on the target the catalog has, because
// every write publishes its events before the next one commits.
func TestEventsInCommitOrder(t *testing.T) {
	s := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ids := []string{importAs(t, s, "src:a", "a", "").String(), importAs(t, s, "src:b", "b", "").String()}
	parsed, err := reference.ParseNormalizedNamed("moving:latest")
	require.NoError(t, err)
	named := parsed.(reference.NamedTagged)

	last := make(chan string, 1)
	var mu sync.Mutex
	seen := ""
	watching := make(chan struct{})
	go func() {
		close(watching)
		_ = s.WatchEvents(ctx, imagesvc.EventOptions{}, func(ev imagesvc.Event) error {
			if ev.Action == imagesvc.EventTag && ev.Attributes["name"] == "moving:latest" {
				mu.Lock()
				seen = ev.ID
				mu.Unlock()
			}
			return nil
		})
		last <- seen
	}()
	<-watching
	for round := range 20 {
		// Tags flip the name between two images while an import takes it: some tags
		// commit between the import's commit and the end of its call.
		imported := make(chan struct{})
		go func() {
			defer close(imported)
			importAs(t, s, "moving:latest", fmt.Sprintf("r%d", round), "")
		}()
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ref, err := imagesvc.ParseImageRef(ids[w])
				if err != nil {
					t.Error(err)
					return
				}
				for {
					select {
					case <-imported:
						return
					default:
					}
					if err := s.Tag(ctx, ref, named); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		img, err := s.Inspect(ctx, mustRef(t, "moving:latest"), imagesvc.InspectOptions{})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return seen == img.ID.String()
		}, 5e9, 1e6, "round %d: the last tag event does not name the catalog's target %s", round, img.ID)
	}
	cancel()
	<-last
}

// TestPruneEventsInCommitOrder: a prune removes hundreds of names (several of its
// transactions) while taggers move the same names onto another image. A tag that commits
// after the prune's transaction removed a name must be reported after the prune's untag of
// it: at the end, the last event a watcher saw for each name agrees with the catalog (a
// tag naming the image the name points at, or an untag or delete of a name that is gone).
func TestPruneEventsInCommitOrder(t *testing.T) {
	usage := &imagesvctest.UsageTable{}
	s := openTest(t, Options{Usage: usage, EventsBuffered: 1 << 20})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// x and y stay: a container created from x:keep and y:keep uses each.
	x := importAs(t, s, "x:keep", "prune source", "x")
	y := importAs(t, s, "y:keep", "tag target", "y")
	usage.SetContainer(imagesvc.Container{ID: strings.Repeat("a", 64), ImageID: x, Image: "x:keep"})
	usage.SetContainer(imagesvc.Container{ID: strings.Repeat("b", 64), ImageID: y, Image: "y:keep"})
	const names = pruneBatch + 150
	refs := make([]reference.NamedTagged, names)
	for i := range refs {
		refs[i] = tagRef(t, "p", fmt.Sprintf("n%d", i))
	}
	xRef, yRef := mustRef(t, x.String()), mustRef(t, y.String())

	// The watcher's view: the last event of each name (familiar reference).
	var (
		mu   sync.Mutex
		last = map[string]imagesvc.Event{}
	)
	watching := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		close(watching)
		_ = s.WatchEvents(ctx, imagesvc.EventOptions{}, func(ev imagesvc.Event) error {
			mu.Lock()
			last[ev.Attributes["name"]] = ev
			mu.Unlock()
			return nil
		})
	}()
	<-watching

	for round := range 3 {
		for _, r := range refs {
			require.NoError(t, s.Tag(ctx, xRef, r))
		}
		pruned := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rnd := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for {
					select {
					case <-pruned:
						return
					default:
					}
					if err := s.Tag(ctx, yRef, refs[rnd.IntN(len(refs))]); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		_, err := s.Prune(ctx, imagesvc.PruneOptions{Filters: filters.NewArgs(filters.Arg("dangling", "false"))})
		close(pruned)
		wg.Wait()
		require.NoError(t, err)

		// A last tag, seen once every event before it was.
		sentinel := tagRef(t, "sentinel", fmt.Sprintf("r%d", round))
		require.NoError(t, s.Tag(ctx, yRef, sentinel))
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			_, ok := last[reference.FamiliarString(sentinel)]
			return ok
		}, 10*time.Second, time.Millisecond, "round %d: the watcher sees the sentinel tag", round)

		target := map[string]string{}
		rows, err := s.rdb.QueryContext(ctx, `SELECT n.familiar, i.id FROM names n JOIN images i ON i.rowid = n.image`)
		require.NoError(t, err)
		for rows.Next() {
			var name, id string
			require.NoError(t, rows.Scan(&name, &id))
			target[name] = id
		}
		require.NoError(t, rows.Err())
		rows.Close()
		mu.Lock()
		wrong := 0
		for _, r := range refs {
			name := reference.FamiliarString(r)
			ev, seen := last[name]
			want, exists := target[name]
			ok := seen && (exists && ev.Action == imagesvc.EventTag && ev.ID == want ||
				!exists && (ev.Action == imagesvc.EventUntag || ev.Action == imagesvc.EventDelete))
			if !ok {
				if wrong < 5 {
					t.Errorf("round %d: %s points at %q (\"\": gone), the last event for it is %s %s", round, name, want, ev.Action, ev.ID)
				}
				wrong++
			}
		}
		mu.Unlock()
		require.Zero(t, wrong, "round %d: names whose last event disagrees with the catalog", round)
	}
	cancel()
	<-ended
}
