package probe

import (
	"context"
	"net"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/legacytls"
	"github.com/tlsdoctor/tlsdoctor/probe/dial"
)

// How the probe reached the server (see docs/record-connect.md). The
// types are the dial layer's, named here so that checks and report read
// them as part of the record.
type (
	// ConnectionInfo is the run's connection settings (Record.Connection).
	ConnectionInfo = dial.Info
	// DialLog is what one connection said before its ClientHello
	// (Attempt.Dial): the proxy exchange and the STARTTLS transcript.
	DialLog = dial.Log
)

// Purposes of the attempts kept outside Attempts.
const (
	// PurposeNoSNI is the handshake made without SNI, next to the
	// primary, to tell whether the server needs SNI (Record.SNICheck).
	PurposeNoSNI = "no-sni"
	// PurposeBackend is the primary handshake made to another of the
	// target's addresses with --all-ips (Record.Backends).
	PurposeBackend = "backend"
	// PurposeDirect is the primary handshake made without the proxy, next
	// to the proxied one, to compare what each path shows
	// (Record.DirectCheck).
	PurposeDirect = "direct"
)

// DirectCheckMode says whether a proxied run also tries the direct path.
type DirectCheckMode int

const (
	// DirectCheckAuto makes one handshake without the proxy whenever the
	// run goes through one.
	DirectCheckAuto DirectCheckMode = iota
	// DirectCheckOff never connects around the proxy (--no-direct-check).
	DirectCheckOff
)

// directConnectTimeout bounds the direct path's connection (and its
// STARTTLS exchange): where the network blocks direct egress by dropping
// packets, the check costs at most this; where it refuses, nothing.
const directConnectTimeout = 3 * time.Second

// SNICheckMode says when the probe makes the handshake without SNI.
type SNICheckMode int

const (
	// SNICheckAuto makes it when the target is a name (and SNI is sent).
	SNICheckAuto SNICheckMode = iota
	// SNICheckAlways makes it whenever SNI is sent (--scan).
	SNICheckAlways
	// SNICheckOff never makes it.
	SNICheckOff
)

// newDialer is the dial layer for a record's target.
func newDialer(o dial.Options, r *net.Resolver, t Target) (*dial.Dialer, error) {
	if r != nil {
		o.Resolver = r
	}
	name := t.SNI
	if name == "" {
		name = t.Host
	}
	host, port := t.ConnectHost, t.ConnectPort
	if host == "" {
		host = t.Host
	}
	if port == 0 {
		port = t.Port
	}
	return dial.New(o, dial.Target{Host: host, Port: port, Name: name})
}

// connector is a legacytls.DialFunc over the dial layer; the log of the
// last connection goes to *log when log is not nil.
func connector(d *dial.Dialer, addr string, log **dial.Log) legacytls.DialFunc {
	return func(ctx context.Context) (net.Conn, error) {
		c, l, err := d.Dial(ctx, addr)
		if log != nil && l != nil && (l.Proxy != nil || l.StartTLS != nil) {
			*log = l
		}
		return c, err
	}
}

// BackendScan is the scan of one backend address (--all-ips --scan).
type BackendScan struct {
	// Address is the backend's IP:port, as in Record.Backends.
	Address string `json:"address"`
	Scan    *Scan  `json:"scan"`
}
