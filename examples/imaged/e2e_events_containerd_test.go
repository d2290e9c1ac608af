package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// TestEventsBehindTheBack: on the containerd backend, the Go SDK's Events (live) reports
// the changes another containerd client (ctr) makes to imaged's namespace, after the
// events of imaged's own pull, each once.
func TestEventsBehindTheBack(t *testing.T) {
	f := env(t)
	d := startDaemon(t, f, "containerd")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := client.New(client.WithHost(d.hostURL()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	appRef := f.ref("e2e/app:v1")
	appID := f.app.Descriptor.Digest.String()
	// The watch starts before the pull, without since: the SDK's Events returns once the
	// answer's headers are in, which imaged (and the test's proxy) send at once, and every
	// event after them comes.
	res := c.Events(ctx, client.EventsListOptions{})
	d.mustDocker(t, f, "pull", "-q", appRef)
	d.ctrd.Ctr(t, d.ns, "images", "tag", appRef, "docker.io/ext/app:1")
	// Removed one after the other, in name order: the events come in that order whether
	// imaged compares the two records together (name order) or one by one.
	d.ctrd.Ctr(t, d.ns, "images", "rm", appRef)
	d.ctrd.Ctr(t, d.ns, "images", "rm", "docker.io/ext/app:1")

	want := []string{
		"pull " + f.ref("e2e/app"),
		"tag " + appID + " ext/app:1",
		"untag " + appID + " " + appRef,
		"untag " + appID + " ext/app:1",
		"delete " + appID + " " + appID,
	}
	var got []string
	timeout := time.After(30 * time.Second)
	for len(got) < len(want) {
		select {
		case ev := <-res.Messages:
			s := string(ev.Action) + " "
			if ev.Action != "pull" {
				s += ev.Actor.ID + " "
			}
			got = append(got, s+ev.Actor.Attributes["name"])
		case err := <-res.Err:
			t.Fatalf("SDK Events: %v; got %q", err, got)
		case <-timeout:
			t.Fatalf("SDK Events: got %q, want %q", got, want)
		}
	}
	// Nothing more: no event of imaged's own pull comes back from containerd.
	select {
	case ev := <-res.Messages:
		got = append(got, string(ev.Action)+" "+ev.Actor.Attributes["name"])
	case <-time.After(500 * time.Millisecond):
	}
	if !slices.Equal(got, want) {
		t.Errorf("SDK Events: got\n%q\nwant\n%q", got, want)
	}
}
