package testimages

import (
	"maps"
	"sync"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/opencontainers/go-digest"
)

// NewContentStore returns containerd's local content store on a temporary directory of t,
// with its labels kept in memory: what the engines' tests write into.
func NewContentStore(t testing.TB) content.Store {
	t.Helper()
	cs, err := local.NewLabeledStore(t.TempDir(), &memLabels{labels: map[digest.Digest]map[string]string{}})
	if err != nil {
		t.Fatalf("content store: %v", err)
	}
	return cs
}

// memLabels is an in-memory local.LabelStore.
type memLabels struct {
	mu     sync.Mutex
	labels map[digest.Digest]map[string]string
}

func (m *memLabels) Get(d digest.Digest) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.labels[d]), nil
}

func (m *memLabels) Set(d digest.Digest, l map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.labels[d] = maps.Clone(l)
	return nil
}

// Update sets the labels of upd on d; an empty value removes the label.
func (m *memLabels) Update(d digest.Digest, upd map[string]string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.labels[d]
	if l == nil {
		l = map[string]string{}
	}
	for k, v := range upd {
		if v == "" {
			delete(l, k)
		} else {
			l[k] = v
		}
	}
	m.labels[d] = l
	return maps.Clone(l), nil
}
