package sqlite

import (
	"net"
	"net/http"
	"time"
)

// defaultHTTPClient is the client of URL imports when Options.HTTPClient is nil: the
// default transport's settings, with a 30 second bound on connecting.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: t}
}
