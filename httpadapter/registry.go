package httpadapter

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// The endpoints that talk to registries without storing anything: POST /auth (docker
// login) and GET /distribution/{name}/json (docker-py's get_registry_data, buildx,
// compose). Each needs an optional capability of the service; without it the answer is 501
// naming the operation.

// maxAuthBody bounds the body of POST /auth: credentials are a few hundred bytes.
const maxAuthBody = 1 << 20

// authResponse is AuthResponse (api/types/registry.AuthResponse).
type authResponse struct {
	IdentityToken string `json:"IdentityToken,omitempty"`
	Status        string `json:"Status"`
}

// login serves POST /auth: the body is a JSON AuthConfig, decoded as Docker's
// authconfig.DecodeRequestBody does.
func (h *handler) login(w *responseWriter, r *http.Request, _ call) error {
	authenticator, ok := imagesvc.As[imagesvc.RegistryAuthenticator](h.svc)
	if !ok {
		return notImplemented("registry login")
	}
	body := &limitedBody{r: r.Body, remaining: maxAuthBody}
	var auth imagesvc.AuthConfig
	dec := json.NewDecoder(body)
	if err := dec.Decode(&auth); err != nil {
		if body.exceeded {
			return &bodyTooLargeError{limit: maxAuthBody}
		}
		return errInvalid("invalid X-Registry-Auth header: invalid JSON: " + err.Error())
	}
	if dec.More() {
		return errInvalid("invalid X-Registry-Auth header: multiple JSON documents not allowed")
	}
	token, err := authenticator.Login(r.Context(), auth)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, &authResponse{Status: "Login Succeeded", IdentityToken: token})
}

// distributionInspect is DistributionInspect (api/types/registry.DistributionInspect).
type distributionInspect struct {
	Descriptor ocispec.Descriptor
	Platforms  []ocispec.Platform
}

// distribution serves GET /distribution/{name}/json, parsing the name as Docker's
// getDistributionInfo does.
func (h *handler) distribution(w *responseWriter, r *http.Request, c call) error {
	inspector, ok := imagesvc.As[imagesvc.DistributionInspector](h.svc)
	if !ok {
		return notImplemented("distribution inspect")
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	ref, err := reference.ParseAnyReference(c.name)
	if err != nil {
		return invalidParameter(err)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		if _, ok := ref.(reference.Digested); ok {
			// An image ID: Docker answers with a plain (500) error.
			return errors.New("no manifest found for full image ID")
		}
		return errInvalid(fmt.Sprintf("unknown image reference format: %s", c.name))
	}
	// Invalid credentials are ignored, as Docker does: the lookup is anonymous.
	auth, _ := imagesvc.DecodeRegistryAuth(r.Header.Get(registryAuthHeader))
	info, err := inspector.DistributionInspect(r.Context(), named, auth)
	if err != nil {
		return err
	}
	if info == nil {
		return errdefs.ErrInternal.WithMessage("distribution inspect: the image service returned no information")
	}
	// Docker fills in the media type, digest and size only.
	out := &distributionInspect{Descriptor: ocispec.Descriptor{
		MediaType: info.Descriptor.MediaType,
		Digest:    info.Descriptor.Digest,
		Size:      info.Descriptor.Size,
	}}
	if len(info.Platforms) > 0 {
		out.Platforms = info.Platforms
	}
	return writeJSON(w, http.StatusOK, out)
}
