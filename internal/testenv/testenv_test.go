package testenv

import (
	"testing"
)

func TestBinaryFindsPrograms(t *testing.T) {
	if p := Binary(t, "sh", "dash"); p == "" {
		t.Fatal("sh not found")
	}
	if p := Binary(t, "no-such-program", "dash", "/bin/sh"); p != "/bin/sh" {
		t.Fatalf("extra paths are tried first, got %q", p)
	}
}
