package plugins

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// ListVersioner is an optional interface of the backend a plugin serves. A backend that
// implements it lets the host keep the answers of its lists: before each list, the
// plugin asks the backend for its version, and when the host already has the answer to
// the same list at the same version, the plugin says so instead of listing (backend.proto,
// "Conditional lists"). A repeated list then costs a round trip and the decoding of what
// the host kept, instead of the backend's list, its encoding, transfer and decoding.
//
// ListVersion returns a value that changes whenever any List or Inspect of the backend
// could answer differently from before (the host's HTTP adapter also tags inspects with
// it): after every write that a list or an inspect could show (images added,
// replaced, removed, tagged or untagged, their labels or sizes changed), and whenever the
// backend's state is reloaded. The value only has to differ from the earlier values of
// the same process: the plugin adds a random value of its own, so that a relaunched
// plugin never takes the versions of the one before it. Two things are accounted for by
// the plugin itself and need not change the version: the time, which "until" filters
// depend on (such lists are never kept), and the containers that the host's usage
// provider reports through [HostUsage] (lists for which the backend asked the host are
// never kept; the plugin knows that a list asked when HostUsage was called with the
// context of that List call, and whether List asks must itself depend only on the
// request and the version, as everything else List does).
//
// It is called before every List, concurrently with other calls, and must be cheap (a
// counter, not a scan of the catalog). The version must change no later than a write
// becomes visible to List and Inspect, or ListVersion must fail while the write is in
// progress (see [imagesvc.ListVersioner]): a list labelled with a version must never show
// less than a later list at that version. When ListVersion fails, the list is answered in
// full.
//
// It is [imagesvc.ListVersioner]; this name stays for plugins written before it moved.
type ListVersioner = imagesvc.ListVersioner

// newNonce returns the random part of a server's etags.
func newNonce() [16]byte {
	var n [16]byte
	_, _ = rand.Read(n[:]) // never fails (crypto/rand.Read)
	return n
}

// etag labels the answer to req at the backend's version: a hash of the server's nonce,
// the version and every field of the request but if_none_match.
func (s *server) etag(version string, req *pb.ListRequest) string {
	h := sha256.New()
	var b []byte
	b = append(b, s.nonce[:]...)
	b = binary.AppendUvarint(b, uint64(len(version)))
	b = append(b, version...)
	for _, f := range []bool{req.GetAll(), req.GetSharedSize(), req.GetManifests(), req.GetIdentity()} {
		if f {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = append(b, req.GetFilters()...)
	h.Write(b)
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// The versions that an HTTP host turns into ETags (backend.proto, ListVersion): every
// [Client] is an [imagesvc.ListVersioner] whose version is the plugin backend's, so that
// httpadapter labels its answers to lists and inspects through a plugin as it does those
// of a backend in process. No capability is announced for it: a plugin whose backend has
// none, or that was written before the call existed, fails it (not_implemented,
// UNIMPLEMENTED), and the host sends no ETag.
//
// The version is exact as the backend's is: the plugin reads it from the backend at the
// call, and the host adds nothing to what lists and inspects answer but the answers the
// plugin confirms at the time of each list (listcache.go: a kept list is only used when
// the plugin, reading the backend's version then, says it still holds), so a list or
// inspect through the plugin started after a version was given answers what the backend
// answers at that version or later.

// versionOf returns the version the plugin gives the host for the backend's version: a
// hash of this process's nonce and the backend's version, so that a relaunched plugin
// never gives a version of the one before it.
func (s *server) versionOf(version string) string {
	h := sha256.New()
	var b []byte
	b = append(b, "list-version\x00"...)
	b = append(b, s.nonce[:]...)
	b = binary.AppendUvarint(b, uint64(len(version)))
	b = append(b, version...)
	h.Write(b)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18])
}

// ListVersion answers the host's ListVersion: the backend's version, or the backend's
// error; not_implemented when the backend is no [ListVersioner].
func (s *server) ListVersion(ctx context.Context, _ *pb.ListVersionRequest) (*pb.ListVersionResponse, error) {
	v, ok := s.impl.(ListVersioner)
	if !ok {
		return nil, toStatus(errdefs.ErrNotImplemented.WithMessage("the plugin's backend has no list version"))
	}
	version, err := v.ListVersion(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	if version == "" {
		return nil, toStatus(errdefs.ErrNotImplemented.WithMessage("the plugin's backend gave an empty list version"))
	}
	return &pb.ListVersionResponse{Version: s.versionOf(version)}, nil
}

// listVersion asks the plugin for its version.
func (c *conn) listVersion(ctx context.Context) (string, error) {
	resp, err := c.rpc.ListVersion(ctx, &pb.ListVersionRequest{})
	if err != nil {
		return "", err
	}
	return resp.GetVersion(), nil
}

// ListVersionOmitsUsage implements [imagesvc.UsageOmitter]: the plugin's versions leave
// out the host's Options.Usage, which the plugin asks call by call.
func (c *client) ListVersionOmitsUsage() bool { return c.opts.Usage != nil }

// ListVersion implements [imagesvc.ListVersioner] through the plugin: the version of the
// plugin's backend, which covers its lists and inspects. It fails with class
// NotImplemented when the plugin cannot tell (its backend has no version, or the plugin
// was written before it could give one) and when [Options.Usage] is a provider that the
// caller does not account for itself (not an [imagesvc.UsageTrackedPerCall]: the
// backend's lists depend on its containers, which no version covers); with class
// Unavailable while the backend cannot tell for now (a write in progress). The version
// names the plugin process too: a relaunched plugin never gives the versions of the one
// before it.
func (c *client) ListVersion(ctx context.Context) (string, error) {
	if u := c.opts.Usage; u != nil {
		if _, tracked := u.(imagesvc.UsageTrackedPerCall); !tracked {
			return "", errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf(
				"plugin %s: lists depend on Options.Usage, which has no version", c.name()))
		}
	}
	inst, err := c.acquire(ctx)
	if err != nil {
		return "", err
	}
	version, err := inst.conn.listVersion(ctx)
	if err != nil {
		return "", c.callError(ctx, inst, "ListVersion", err)
	}
	c.succeeded()
	if version == "" {
		return "", errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf("plugin %s: the plugin gave no list version", c.name()))
	}
	// The host's own number of the process as well, for a plugin that would not tell its
	// processes apart.
	return strconv.FormatUint(inst.seq, 10) + "." + version, nil
}
