package plugins_test

import (
	"context"
	"os"
	"testing"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// The transport's own cost, measured with plugintest.MemService on both sides of the
// comparison (the SQLite figures are in examples/plugin-sqlite). Run with
//
//	go test -run '^$' -bench . -benchmem ./plugins
//
// Loopback and Plugin hide the MemService's ListVersion, so that every list crosses in
// full; LoopbackCached and PluginCached let the host answer repeated lists from its cache
// (one round trip, then decoding the answer it kept).

const benchImages = 10_000

func benchList(b *testing.B, svc imagesvc.Lister) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sums, err := svc.List(ctx, imagesvc.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(sums) != benchImages {
			b.Fatalf("listed %d images", len(sums))
		}
	}
}

func benchInspect(b *testing.B, svc imagesvc.Inspector) {
	b.Helper()
	ctx := context.Background()
	ref, err := imagesvc.ParseImageRef("seed1:latest")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Inspect(ctx, ref, imagesvc.InspectOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func memSeeded(n int) *plugintest.MemService {
	m := plugintest.NewMemService()
	m.Seed(n)
	return m
}

func BenchmarkListMem10k(b *testing.B) {
	b.Run("InProcess", func(b *testing.B) { benchList(b, memSeeded(benchImages)) })
	b.Run("Loopback", func(b *testing.B) {
		benchList(b, plugintest.InProcess(b, unversioned{memSeeded(benchImages)}, plugins.Options{}))
	})
	b.Run("Plugin", func(b *testing.B) {
		bin := plugintest.Build(b, testPluginPkg)
		benchList(b, plugintest.Open(b, bin, plugins.Options{Args: []string{"-seed", "10000", "-no-list-version"},
			Env: []string{"TESTPLUGIN_CPUPROFILE=" + os.Getenv("TESTPLUGIN_CPUPROFILE")}}))
	})
	b.Run("LoopbackCached", func(b *testing.B) {
		benchList(b, plugintest.InProcess(b, memSeeded(benchImages), plugins.Options{}))
	})
	b.Run("PluginCached", func(b *testing.B) {
		bin := plugintest.Build(b, testPluginPkg)
		benchList(b, plugintest.Open(b, bin, plugins.Options{Args: []string{"-seed", "10000"}}))
	})
}

func BenchmarkInspectMem(b *testing.B) {
	b.Run("InProcess", func(b *testing.B) { benchInspect(b, memSeeded(10)) })
	b.Run("Loopback", func(b *testing.B) {
		benchInspect(b, plugintest.InProcess(b, memSeeded(10), plugins.Options{}))
	})
	b.Run("Plugin", func(b *testing.B) {
		bin := plugintest.Build(b, testPluginPkg)
		benchInspect(b, plugintest.Open(b, bin, plugins.Options{Args: []string{"-seed", "10"}}))
	})
}
