package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/distribution/reference"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
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
