package httpadapter_test

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

// racingWrites is the fixture with a ListVersion, and a write that lands while a List
// runs: List takes its answer, then (when writeDuringList is set) adds an image and moves
// the version before it returns, so its answer misses the write although the version
// read before the list is already stale.
//
// It is a test double: it makes the race the adapter's confirm step guards against happen
// on every call, which a real backend cannot do deterministically (the SQLite test
// TestListKeptAnswersUnderConcurrentTags races real writes instead).
type racingWrites struct {
	*fixture
	version         atomic.Int64
	lists           atomic.Int64
	writeDuringList atomic.Bool
}

func (s *racingWrites) ListVersion(context.Context) (string, error) {
	return strconv.FormatInt(s.version.Load(), 10), nil
}

func (s *racingWrites) List(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	s.lists.Add(1)
	images, err := s.fixture.List(ctx, opts)
	if s.writeDuringList.CompareAndSwap(true, false) {
		s.fixture.mu.Lock()
		s.fixture.images = append(s.fixture.images, imagesvc.Summary{
			ID: digest.FromString("written during the list"), RepoTags: []string{"new:1"}, RepoDigests: []string{},
			Labels: map[string]string{}, Descriptor: s.fixture.images[0].Descriptor,
		})
		s.fixture.mu.Unlock()
		s.version.Add(1)
	}
	return images, err
}

// TestListVersionMovedDuringList: an answer computed while the service's version moved
// carries no ETag and is not kept: the next request lists again and sees the write. Once
// the version holds still, answers are tagged and kept (so the checks above can fail).
func TestListVersionMovedDuringList(t *testing.T) {
	svc := &racingWrites{fixture: newFixture()}
	h := httpadapter.New(svc, httpadapter.Options{})
	const target = "/v1.54/images/json"

	svc.writeDuringList.Store(true)
	w := request(t, h, http.MethodGet, target, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Empty(t, w.Header().Get("ETag"), "an answer computed while the version moved has a tag")
	assert.NotContains(t, w.Body.String(), "new:1", "the double's write lands after the list's answer")
	require.EqualValues(t, 1, svc.lists.Load())

	w = request(t, h, http.MethodGet, target, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.EqualValues(t, 2, svc.lists.Load(), "the answer computed while the version moved was kept")
	assert.Contains(t, w.Body.String(), "new:1", "a stale answer was served")
	tag := w.Header().Get("ETag")
	require.NotEmpty(t, tag, "the version held still: the answer is tagged")

	// The version holds still: the answer is kept, and If-None-Match gets a 304.
	w = request(t, h, http.MethodGet, target, nil)
	assert.Equal(t, tag, w.Header().Get("ETag"))
	assert.EqualValues(t, 2, svc.lists.Load(), "an answer under a confirmed tag is kept")
	w = request(t, h, http.MethodGet, target, nil, "If-None-Match", tag)
	assert.Equal(t, http.StatusNotModified, w.Code)
}
