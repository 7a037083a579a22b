package probe_test

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
	"time"
)

// httpsServer serves "ok" over TLS with cfg until the test ends.
func httpsServer(t testing.TB, ln net.Listener, cfg *tls.Config) *http.Server {
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") }),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = srv.Serve(tls.NewListener(ln, cfg)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// labHTTPS is an HTTPS server with the lab's chain on 127.0.0.1.
func labHTTPS(t *testing.T) int {
	ln := listen(t)
	httpsServer(t, ln, &tls.Config{Certificates: []tls.Certificate{testLab(t).PKI.TLSCert("leaf", "intermediate")}})
	return port(ln)
}
