package truststore

import (
	"crypto/x509"
	"sync"
)

// A Parser parses the certificates of several stores loaded together,
// once each: the system bundle, the embedded Mozilla roots and the JDK's
// cacerts are mostly the same roots, and parsing a certificate is most of
// what loading a store costs. The stores then share the parsed
// certificates, which nothing modifies. Its methods are safe for
// concurrent use; a nil Parser parses every certificate anew.
type Parser struct {
	mu     sync.Mutex
	parsed map[string]*x509.Certificate
}

func (p *Parser) parse(der []byte) (*x509.Certificate, error) {
	if p == nil {
		return x509.ParseCertificate(der)
	}
	p.mu.Lock()
	c, ok := p.parsed[string(der)]
	p.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, ok := p.parsed[string(der)]; ok {
		return prev, nil // parsed at the same time by another store
	}
	if p.parsed == nil {
		p.parsed = map[string]*x509.Certificate{}
	}
	p.parsed[string(der)] = c
	return c, nil
}
