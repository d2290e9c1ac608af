package sqlite

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
)

// countingStore counts the lists the adapter asks of the store.
type countingStore struct {
	*Store
	lists atomic.Int64
}

func (c *countingStore) List(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	c.lists.Add(1)
	return c.Store.List(ctx, opts)
}

// TestListKeptAnswersNeverStale: the adapter writes a repeated list from the answer it
// kept (httpadapter's list cache); between random imports, tags, removes, prunes and
// container usage changes, every answer of the long-lived handler, kept or not, is byte
// for byte the answer of a handler created for that request alone (which keeps nothing).
// It fails if a kept answer outlives a change of the catalog or of the usage provider,
// and proves that answers were kept (lists the store was not asked for).
func TestListKeptAnswersNeverStale(t *testing.T) {
	usage := &imagesvctest.VersionedUsage{}
	s := openTest(t, Options{Usage: usage})
	cs := &countingStore{Store: s}
	opts := httpadapter.Options{UsageVersion: usage.Version}
	h := httpadapter.New(cs, opts)

	writes := imagesvctest.LifecycleWrites(s, []string{"a:1", "a:2", "b:latest"}, usage)
	targets := []string{
		"/v1.54/images/json",
		"/v1.54/images/json?all=1",
		"/v1.54/images/json?all=1&manifests=1&shared-size=1",
		"/v1.41/images/json?all=1",
		"/v1.54/images/json?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D",
		"/v1.54/images/json?filters=%7B%22reference%22%3A%7B%22a%22%3Atrue%7D%7D",
	}
	get := func(h http.Handler, target string) []byte {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		return rec.Body.Bytes()
	}
	rnd := rand.New(rand.NewPCG(7, 11))
	kept, changed := 0, 0
	last := map[string][]byte{}
	for round := range 60 {
		for range rnd.IntN(3) {
			w := writes[rnd.IntN(len(writes))]
			w.Do(t, rnd)
			t.Logf("round %d: %s", round, w.Name)
		}
		for _, target := range targets {
			before := cs.lists.Load()
			got := get(h, target)
			if cs.lists.Load() == before {
				kept++
			}
			fresh := get(httpadapter.New(s, opts), target)
			require.Equal(t, string(fresh), string(got), "round %d: %s: the answer is stale", round, target)
			if !bytes.Equal(last[target], got) {
				changed++
			}
			last[target] = got
		}
	}
	t.Logf("%d answers were written from a kept answer, %d changed", kept, changed)
	require.NotZero(t, kept, "no answer was kept: the test proved nothing")
	require.Greater(t, changed, len(targets), "the writes changed no answer: the test proved nothing")
}
