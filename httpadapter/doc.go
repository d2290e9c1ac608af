// Package httpadapter serves an [imagesvc.Service] as the image part of the Docker Engine
// API over net/http:
//
//	GET    /images/json             list images
//	GET    /images/{name}/json      inspect an image ({name} may contain "/", ":" and "@")
//	POST   /images/create           pull (fromImage) or import (fromSrc)
//	DELETE /images/{name}           remove: untag or delete ([imagesvc.Remover])
//	POST   /images/{name}/tag       tag ([imagesvc.Tagger])
//	POST   /images/prune            prune unused images ([imagesvc.Pruner])
//	GET    /images/{name}/history   history ([imagesvc.Historian])
//	GET    /images/get              save the images of names as a tar ([imagesvc.Saver])
//	GET    /images/{name}/get       save one image ([imagesvc.Saver])
//	POST   /images/load             load a tar ([imagesvc.Loader])
//	POST   /images/{name}/push      push to a registry ([imagesvc.Pusher])
//	POST   /auth                    registry login ([imagesvc.RegistryAuthenticator])
//	GET    /distribution/{name}/json  a remote image's descriptor and platforms ([imagesvc.DistributionInspector])
//	GET    /system/df               disk usage: the images ([imagesvc.DiskUsager]); containers, volumes and build cache empty
//	GET    /info                    what the image service knows, completed by the host ([Options.Info])
//
// The routes from remove to distribution, and /system/df when it is asked for images,
// need an optional capability of the service; a service without it answers 501 with a
// message that names the operation ("image remove is not implemented by this image
// service"). Routes are matched in Docker's order, {name} taking any text between the
// fixed parts: GET /images/a/history/json inspects "a/history", DELETE /images/a/json
// removes "a/json".
//
// Every route is served bare and under any /vX.Y version prefix, as Docker does. Optional
// GET/HEAD /_ping and GET /version handlers ([Options.Ping], [Options.Version]) let a host
// that serves nothing else speak to the docker CLI and SDKs, which negotiate the API version
// through them.
//
// # Mounting
//
// [New] returns an http.Handler that routes on the request path. To serve it under a prefix
// of a host's http.ServeMux or of another router, strip the prefix first:
//
//	mux.Handle("/docker/", http.StripPrefix("/docker", httpadapter.New(svc, httpadapter.Options{})))
//
// # API versions
//
// The requested version (the /vX.Y prefix; the maximum when there is none) must lie within
// [Options.MinVersion, Options.MaxVersion], or the request fails with 400 and Docker's "client
// version X is too old/new" texts, in the JSON error envelope (also below 1.24, where Docker
// writes "too old" in plain text). Versions compare numerically per dotted component, a
// component too large for an integer being larger than any other. Every
// answer of a known route carries the headers Api-Version (the maximum, never the requested
// version), Ostype and Server. The requested version decides the shape of the answer, as the
// Docker daemon does (see the wire contract, spec §2.5, §3.3 and §6):
//
//   - GET /images/json: "<none>:<none>" and "<none>@<none>" placeholders for untagged images
//     below 1.43 ([] from 1.43); VirtualSize below 1.44 (with the keys in alphabetical order);
//     shared-size from 1.42; manifests from 1.47; Descriptor from 1.48; Containers is -1 below
//     1.51; identity from 1.54 (it requires manifests=1).
//   - GET /images/{name}/json: the keys VirtualSize (and Created "0001-01-01T00:00:00Z" when
//     unknown) below 1.44, Container and ContainerConfig below 1.45, Descriptor from 1.48,
//     manifests from 1.48, platform (JSON) from 1.49, the legacy Config fields below 1.50
//     and 1.52, Parent, Comment, DockerVersion, Author and GraphDriver always below 1.52,
//     Identity from 1.53. Whenever legacy keys are added the keys come out in alphabetical
//     order, as Docker's compatibility wrapper writes them.
//   - POST /images/create: platform (os[/arch[/variant]] text) from 1.32.
//   - DELETE /images/{name}: platforms (repeatable JSON, force required) from 1.50.
//   - POST /images/prune: 400 "POST /images/prune requires minimum API version 1.25" below
//     1.25 (reachable with a lower MinVersion).
//   - GET /images/{name}/history: platform (JSON; empty is ignored) from 1.48.
//   - GET /images/get, GET /images/{name}/get, POST /images/load: platform (repeatable
//     JSON; an empty value is 400) from 1.48, several values from 1.52 (400 "multiple
//     platform parameters are not supported in this API version; use API version 1.52 or
//     later" before).
//   - POST /images/{name}/push: platform (JSON; empty is ignored) from 1.46.
//   - GET /system/df: type (repeatable; 400 "unknown object type: <t>") from 1.42; below 1.44
//     VirtualSize on each image and the keys in alphabetical order; below 1.52 the legacy
//     shape (LayersSize, Images, Containers, Volumes, BuildCache); from 1.52 the legacy
//     fields then the *Usage objects, or only the *Usage objects with verbose. The images
//     are not shaped by version as the list's are (spec docker-image-lifecycle.md §10.2):
//     real Containers counts, Descriptor always, RepoTags and RepoDigests null when empty.
//     Requests that arrive while one is computed share its computation.
//   - GET /distribution/{name}/json: 400 "GET /distribution/{name:.*}/json requires minimum
//     API version 1.30" below 1.30.
//
// Parameters newer than the requested version are ignored, not rejected.
//
// # Parameters
//
// Parameters are read from the URL query only; a request body is never parsed as a form, so
// an import archive may come with any Content-Type, or none. Booleans are permissive: "",
// "0", "no", "false" and "none" (trimmed, any case) are false, anything else is true. The
// filters parameter accepts both JSON shapes ({"key":{"value":true}} and {"key":["value"]});
// the legacy filter parameter (an image name glob) is honoured on every version when filters
// has no reference key; the legacy registry parameter of a pull is put in front of a
// fromImage without a registry host. X-Registry-Auth is base64url-encoded JSON; a header that
// does not decode is ignored on pulls and distribution lookups (they are anonymous), as
// Docker does. POST /auth takes the credentials as a JSON body (at most 1 MiB; more is 413),
// decoded as Docker's authconfig.DecodeRequestBody does; a login answers
// {"Status":"Login Succeeded"} with the registry's IdentityToken when there is one. A
// distribution lookup of an image ID (a bare digest) is a 500 "no manifest found for full
// image ID", as in Docker; its answer carries the descriptor's media type, digest and size
// only, and Platforms null when there are none. Credentials are never logged.
//
// # Streams
//
// POST /images/create answers with a stream of JSON messages, each followed by "\r\n" and
// flushed as it comes. Nothing is written until the first message, so an error before it
// is a real HTTP error with its status code (a 401 stays a 401, so that clients can retry
// with credentials); an error after it is a final in-stream message
// {"error":"...","errorDetail":{"message":"..."}} under status 200. An import ends with
// {"status":"sha256:<id>"}. The service call runs with the request's context: a client that
// disconnects cancels it (a backend that shares one pull between callers keeps it running
// for the others).
//
// POST /images/{name}/push streams the same way: its progress records, the aux records
// {"progressDetail":{},"aux":{...}} of the index fallback and of missing content, and the
// backend's errors in-stream after its first record. POST /images/load answers
// application/json with {"stream":"Loaded image: ...\n"} records and every backend error
// in-stream under status 200, as Docker does; only its parameter errors, and an archive
// over [Options.MaxImportSize] or the backend's bound (413), are HTTP errors. The archive
// of a save is streamed as the backend writes it, with Content-Type application/x-tar:
// errors before its first byte (a name that does not resolve, a missing platform) are
// ordinary HTTP errors, and an error after it is appended to the tar stream as a JSON error
// line, as Docker does, so that the client's tar reader fails.
//
// # Errors
//
// Errors are {"message":"..."} with Content-Type application/json, written without HTML
// escaping and with a trailing newline. The status code comes from the errdefs class of the
// error (after errdefs.Resolve): NotFound 404; InvalidArgument, FailedPrecondition and
// OutOfRange 400; Conflict, AlreadyExists and Aborted 409; Unauthorized 401; PermissionDenied
// 403; Unavailable 503; NotModified 304; NotImplemented 501; anything else 500 (including
// ResourceExhausted, as Docker). An import body larger than [Options.MaxImportSize] is 413,
// and so is an import the backend refuses with ResourceExhausted (an archive over its
// bound, as sent or once decompressed).
// A successful tag is 201 with no body and no Content-Type; an empty delete list, prune list,
// history or history Tags is null, as Docker sends it. When the client has gone away no
// body is written. Unknown routes and wrong methods get 404
// {"message":"page not found"} without version headers; OPTIONS gets an empty 200. A panic
// in a handler or in the service is recovered, logged, and answered with 500 (or an
// in-stream error once a stream has started).
package httpadapter
