package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TestEngineIDPersists: the ID is a UUID made once and read back by every later start.
func TestEngineIDPersists(t *testing.T) {
	dir := t.TempDir()
	id, err := engineID(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("engine ID %q is not a version 4 UUID", id)
	}
	again, err := engineID(dir)
	if err != nil || again != id {
		t.Errorf("second start: %q, %v; want %q", again, err, id)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != engineIDFile {
		t.Errorf("data root holds %v, want only %s", entries, engineIDFile)
	}
}

// TestRegistryConfig: the flags as Docker's RegistryConfig: Hub mirrors from hosts.toml,
// insecure registries, and a hosts.toml registry with skip_verify, in containerd's
// host_port_ directory spelling.
func TestRegistryConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(host, toml string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, host), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, host, "hosts.toml"), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docker.io", "server = \"https://registry-1.docker.io\"\n[host.\"https://m1.example.com\"]\n  capabilities = [\"pull\", \"resolve\"]\n[host.\"http://m2.example.com:5000\"]\n  capabilities = [\"pull\"]\n")
	write("reg.example.com_5000_", "server = \"https://reg.example.com:5000\"\n[host.\"https://reg.example.com:5000\"]\n  skip_verify = true\n")
	write("_default", "")

	rc, err := registryConfig(context.Background(), []string{"127.0.0.1:5001"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://m1.example.com/", "http://m2.example.com:5000/"}; !slices.Equal(rc.Mirrors, want) {
		t.Errorf("Mirrors %v, want %v", rc.Mirrors, want)
	}
	hub := rc.IndexConfigs["docker.io"]
	if hub == nil || !hub.Secure || !hub.Official || !slices.Equal(hub.Mirrors, rc.Mirrors) {
		t.Errorf("docker.io: %+v", hub)
	}
	if i := rc.IndexConfigs["127.0.0.1:5001"]; i == nil || i.Secure || i.Official || i.Mirrors == nil {
		t.Errorf("insecure registry: %+v", i)
	}
	if i := rc.IndexConfigs["reg.example.com:5000"]; i == nil || i.Secure || len(i.Mirrors) != 0 {
		t.Errorf("skip_verify registry: %+v", i)
	}
	if _, ok := rc.IndexConfigs["_default"]; ok || len(rc.IndexConfigs) != 3 {
		t.Errorf("IndexConfigs %v", rc.IndexConfigs)
	}
	if len(rc.InsecureRegistryCIDRs) != 0 {
		t.Errorf("InsecureRegistryCIDRs %v: imaged takes no CIDRs", rc.InsecureRegistryCIDRs)
	}

}
