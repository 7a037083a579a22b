package truststore

import (
	"crypto/x509"
	"fmt"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Mozilla returns the Mozilla (NSS) roots embedded in tlsdoctor through
// golang.org/x/crypto/x509roots/fallback/bundle. It reads the bundle
// directly and never installs it as the process's default roots. Roots
// with extra NSS constraints (for example a distrust date) are included;
// the constraint is not applied.
func Mozilla() ([]*x509.Certificate, error) { return (*Parser)(nil).Mozilla() }

// Mozilla is Mozilla, sharing what p has parsed.
func (p *Parser) Mozilla() ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for r := range bundle.Roots() {
		c, err := p.parse(r.Certificate)
		if err != nil {
			return nil, fmt.Errorf("embedded Mozilla root does not parse: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}
