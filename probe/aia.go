package probe

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tlsdoctor/tlsdoctor/internal/certmemo"
	"github.com/tlsdoctor/tlsdoctor/internal/sigmemo"
)

// AIA fetching bounds: at most aiaMaxFetches downloads per run, each
// bounded by aiaFetchTimeout (and the caller's context), each body at most
// aiaMaxBody bytes.
const (
	aiaMaxFetches   = 6
	aiaFetchTimeout = 3 * time.Second
	aiaMaxBody      = 1 << 20
)

// fetchAIA downloads the caIssuers of every certificate in the sent chain
// (and of every certificate fetched) whose issuer is not among the
// certificates already known, the way browsers complete a chain. Each URL
// is fetched at most once per run (the cache is the list itself).
//
// known are the raw subjects of the caller's trust anchors: a certificate
// whose issuer is one of them needs no download (this only saves work;
// the checks still judge the path).
func fetchAIA(ctx context.Context, client *http.Client, cache *FetchCache, scope string, sent []Certificate, known [][]byte) []AIAFetch {
	if cache == nil {
		cache = NewFetchCache()
	}
	var have []*x509.Certificate
	for _, c := range sent {
		if cert, err := certmemo.Parse(c.DER); err == nil {
			have = append(have, cert)
		}
	}
	var out []AIAFetch
	seen := map[string]bool{}
	queue := append([]*x509.Certificate(nil), have...)
	for len(queue) > 0 && len(out) < aiaMaxFetches && ctx.Err() == nil {
		cur := queue[0]
		queue = queue[1:]
		if hasIssuer(cur, have) || isKnown(cur.RawIssuer, known) {
			continue
		}
		for _, u := range cur.IssuingCertificateURL {
			if seen[u] || len(out) >= aiaMaxFetches {
				continue
			}
			seen[u] = true
			f, _, ok := cache.aia.once(ctx, scope+"\x00"+u, func() AIAFetch { return fetchOne(ctx, client, u) })
			if !ok {
				break
			}
			f.ForSubject = cur.Subject.String()
			sum := sha256.Sum256(cur.Raw)
			f.ForSHA256 = strings.ToUpper(hex.EncodeToString(sum[:]))
			out = append(out, f)
			for _, c := range f.Certificates {
				if cert, err := certmemo.Parse(c.DER); err == nil {
					have = append(have, cert)
					queue = append(queue, cert)
				}
			}
			if hasIssuer(cur, have) {
				break
			}
		}
	}
	return out
}

func isKnown(rawIssuer []byte, known [][]byte) bool {
	for _, k := range known {
		if bytes.Equal(k, rawIssuer) {
			return true
		}
	}
	return false
}

// hasIssuer reports whether cur is self-signed or one of known issued it.
func hasIssuer(cur *x509.Certificate, known []*x509.Certificate) bool {
	if bytes.Equal(cur.RawSubject, cur.RawIssuer) {
		return true
	}
	for _, k := range known {
		if bytes.Equal(k.RawSubject, cur.RawIssuer) && signedBy(cur, k) {
			return true
		}
	}
	return false
}

// signedBy checks the signature only (SHA-1 allowed: a weak signature is
// a finding, not a broken link).
// signedBy reports whether parent issued child: the names chain and the
// signature verifies. A signature with an algorithm crypto/x509 refuses
// (SHA-1, MD5) still counts, so weak chains link; the weak-signature check
// judges them.
func signedBy(child, parent *x509.Certificate) bool {
	if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return false
	}
	err := sigmemo.Signed(parent, child)
	var ia x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &ia)
}

func fetchOne(ctx context.Context, client *http.Client, url string) AIAFetch {
	f := AIAFetch{URL: url}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		f.Error = "not fetched: only http and https URLs are fetched"
		return f
	}
	ctx, cancel := context.WithTimeout(ctx, aiaFetchTimeout)
	defer cancel()
	t0 := time.Now()
	defer func() { f.DurationMS = ms(time.Since(t0)) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		f.Error = err.Error()
		return f
	}
	req.Header.Set("User-Agent", "tlsdoctor")
	if client == nil {
		fc := newFetchClient(FetchPolicy{}, true, nil)
		defer fc.close()
		client = fc.Client
	}
	resp, err := client.Do(req)
	if err != nil {
		f.Error = fetchErrorText(err)
		return f
	}
	defer resp.Body.Close()
	f.HTTPStatus = resp.StatusCode
	f.ContentType = clamp(resp.Header.Get("Content-Type"), 256)
	if resp.StatusCode != http.StatusOK {
		f.Error = "HTTP " + clamp(resp.Status, 256)
		return f
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, aiaMaxBody+1))
	if err != nil {
		f.Error = "reading the body: " + err.Error()
		return f
	}
	if len(body) > aiaMaxBody {
		f.Error = fmt.Sprintf("body larger than %d bytes", aiaMaxBody)
		return f
	}
	certs, format, err := ParseCertificateBody(body)
	f.Format = format
	if err != nil {
		f.Error = err.Error()
		return f
	}
	for _, c := range certs {
		f.Certificates = append(f.Certificates, Certificate{DER: c})
	}
	return f
}

// ParseCertificateBody reads certificates served at an AIA URL: DER, PEM
// or a degenerate PKCS#7 SignedData (.p7c). It returns the DER of each and
// the format found.
func ParseCertificateBody(body []byte) ([][]byte, string, error) {
	if bytes.Contains(body, []byte("-----BEGIN")) {
		var out [][]byte
		rest := body
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			switch b.Type {
			case "CERTIFICATE":
				if _, err := x509.ParseCertificate(b.Bytes); err == nil {
					out = append(out, b.Bytes)
				}
			case "PKCS7":
				if certs, err := parsePKCS7(b.Bytes); err == nil {
					out = append(out, certs...)
				}
			}
		}
		if len(out) == 0 {
			return nil, "pem", errors.New("PEM without a readable certificate")
		}
		return out, "pem", nil
	}
	if c, err := x509.ParseCertificate(body); err == nil {
		return [][]byte{c.Raw}, "der", nil
	}
	if certs, err := parsePKCS7(body); err == nil {
		return certs, "pkcs7", nil
	}
	return nil, "", errors.New("the body is neither a DER or PEM certificate nor a PKCS#7 certificate bundle")
}

var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

type pkcs7ContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type pkcs7SignedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	ContentInfo      asn1.RawValue
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      asn1.RawValue
}

// parsePKCS7 extracts the certificates of a PKCS#7 SignedData.
func parsePKCS7(der []byte) ([][]byte, error) {
	var ci pkcs7ContentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) > 0 {
		return nil, errors.New("not PKCS#7")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, errors.New("PKCS#7 but not SignedData")
	}
	var sd pkcs7SignedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("PKCS#7 SignedData does not parse: %v", err)
	}
	certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PKCS#7 certificates do not parse: %v", err)
	}
	if len(certs) == 0 {
		return nil, errors.New("PKCS#7 without certificates")
	}
	var out [][]byte
	for _, c := range certs {
		out = append(out, c.Raw)
	}
	return out, nil
}

// aiaCertificates are the certificates the AIA downloads produced.
func aiaCertificates(fetches []AIAFetch) []*x509.Certificate {
	var out []*x509.Certificate
	for _, f := range fetches {
		for _, c := range f.Certificates {
			if cert, err := certmemo.Parse(c.DER); err == nil {
				out = append(out, cert)
			}
		}
	}
	return out
}
