package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/backends/sqlite"
)

// TestMounted checks that the host keeps its own routes and that the image API answers
// under the prefix, with Docker's headers and error bodies.
func TestMounted(t *testing.T) {
	store, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	srv := httptest.NewServer(newMux(store, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}

	resp, body := get("/healthz")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok\n", body)

	resp, body = get("/docker/v1.47/images/json")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "[]\n", body)
	assert.Equal(t, "1.56", resp.Header.Get("Api-Version"))

	resp, body = get("/docker/images/nosuch/json")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var msg struct{ Message string }
	require.NoError(t, json.Unmarshal([]byte(body), &msg))
	assert.Equal(t, "No such image: nosuch:latest", msg.Message)

	resp, body = get("/docker/_ping")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "OK", body)

	resp, _ = get("/images/json")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the API is only under its prefix")
}
