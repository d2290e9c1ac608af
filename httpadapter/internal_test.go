package httpadapter

import (
	"io"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.44", "1.44", 0},
		{"1.9", "1.10", -1},
		{"1.100", "1.56", 1},
		{"1.44.0", "1.44", 0},
		{"1.44.1", "1.44", 1},
		{"2", "1.56", 1},
		{"1", "1.0", 0},
		{"1..2", "1.0.2", 0},
		{".", "0", 0},
		{"1.x", "1.0", 0},
		{"1.056", "1.56", 0},
		{"1.999999999999999999999", "1.56", 1},
		{"1.999999999999999999999", "1.1000000000000000000000", -1},
		{"1.999999999999999999999", "1.999999999999999999999", 0},
		{"99999999999999999999999", "2", 1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, compareVersions(tt.a, tt.b), "%s vs %s", tt.a, tt.b)
		assert.Equal(t, -tt.want, compareVersions(tt.b, tt.a), "%s vs %s", tt.b, tt.a)
	}
}

func TestBoolValue(t *testing.T) {
	for _, v := range []string{"", "0", "no", "false", "none", "FALSE", " No ", "None"} {
		assert.False(t, boolValue(url.Values{"x": {v}}, "x"), "%q", v)
	}
	for _, v := range []string{"1", "true", "yes", "2", "True", "on", "anything at all"} {
		assert.True(t, boolValue(url.Values{"x": {v}}, "x"), "%q", v)
	}
	assert.False(t, boolValue(url.Values{}, "x"))
	assert.True(t, boolValue(url.Values{"x": {"1", "0"}}, "x"), "the first value counts")
}

func TestLimitedBody(t *testing.T) {
	b := &limitedBody{r: stringsReader("0123456789"), remaining: 10}
	buf := make([]byte, 64)
	n, err := b.Read(buf)
	assert.Equal(t, 10, n)
	assert.NoError(t, err)
	n, err = b.Read(buf)
	assert.Equal(t, 0, n)
	assert.Equal(t, "EOF", err.Error(), "exactly the bound is fine")
	assert.False(t, b.exceeded)

	b = &limitedBody{r: stringsReader("0123456789x"), remaining: 10}
	n, err = b.Read(buf)
	assert.Equal(t, 10, n)
	assert.Error(t, err)
	assert.True(t, b.exceeded)
	assert.Equal(t, 413, statusOf(err))
}

func stringsReader(s string) *stringReader { return &stringReader{s: s} }

type stringReader struct{ s string }

func (r *stringReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p, r.s)
	r.s = r.s[n:]
	return n, nil
}
