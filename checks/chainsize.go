package checks

import (
	"fmt"

	"github.com/tlsdoctor/tlsdoctor/probe"
)

// chain-too-large: a Certificate message larger than clients accept, or
// more certificates than Java takes. The limits were measured on this
// machine with a server sending chains of growing size (see
// /work/shared/client-errors.md, "chain-too-large"):
//   - Java 17: 32768 bytes per handshake message (jdk.tls.maxHandshakeMessageSize)
//     and 10 certificates (jdk.tls.maxCertificateChainLength);
//   - OpenSSL 3 (curl, Python, openssl s_client): 102400 bytes (100 KiB,
//     SSL_CTX_set_max_cert_list's default);
//   - GnuTLS 3.7: about 128 KiB of buffered handshake data (refused at a
//     131042-byte chain, accepted at 129953 bytes);
//   - Go 1.26: 262144 bytes (256 KiB).

type sizeLimit struct {
	client  string
	bytes   int // Certificate message body limit; 0 for none
	certs   int // certificate count limit; 0 for none
	message string
}

var chainSizeLimits = []sizeLimit{
	{"java", 32768, 10, "javax.net.ssl.SSLProtocolException: The size of the handshake message ({size}) exceeds the maximum allowed size (32768)"},
	{"curl", 102400, 0, "curl: (35) OpenSSL/3.0: error:0A000098:SSL routines::excessive message size"},
	{"openssl", 102400, 0, "error:0A000098:SSL routines:read_state_machine:excessive message size"},
	{"python", 102400, 0, "ssl.SSLError: [SSL: EXCESSIVE_MESSAGE_SIZE] excessive message size"},
	{"gnutls", 131000, 0, "Fatal error: The handshake data size is too large."},
	{"go", 262144, 0, "tls: handshake message of length {size} bytes exceeds maximum of 262144 bytes"},
}

const javaCountMessage = "javax.net.ssl.SSLProtocolException: The certificate chain length ({count}) exceeds the maximum allowed length (10)"

// certificateMessageBytes is the Certificate message body length: what the
// probe saw on the wire, else computed from the chain for the version
// negotiated (TLS 1.3 adds a context byte and per-certificate extensions:
// the OCSP staple and SCTs on the leaf's entry).
func certificateMessageBytes(rec *probe.Record, a *probe.Attempt) (int, bool) {
	if a.CertificateMessageBytes > 0 {
		return a.CertificateMessageBytes, true
	}
	n := 3
	for _, c := range a.Certificates {
		n += 3 + len(c.DER)
	}
	if a.Version == "TLS 1.3" {
		n += 1 + 2*len(a.Certificates)
		if len(a.OCSPStaple) > 0 {
			n += 4 + 4 + len(a.OCSPStaple)
		}
		if len(a.SCTs) > 0 {
			n += 4 + 2
			for _, s := range a.SCTs {
				n += 2 + len(s)
			}
		}
	}
	return n, false
}

// sizeAttempt is the first attempt that received certificates, or that
// saw a Certificate message too large for crypto/tls to read at all.
func sizeAttempt(rec *probe.Record) *probe.Attempt {
	for i := range rec.Attempts {
		if a := &rec.Attempts[i]; len(a.Certificates) > 0 || a.CertificateMessageBytes > 0 {
			return a
		}
	}
	return nil
}

func chainTooLarge(in *Input) []Finding {
	a := sizeAttempt(in.Rec)
	if a == nil {
		return nil
	}
	size, measured := certificateMessageBytes(in.Rec, a)
	count := len(a.Certificates)
	// A length read from a TLS 1.2 retry of a TLS 1.3 server: TLS 1.3
	// clients see a context byte and two bytes per certificate more.
	approx := ""
	if p := in.Rec.Primary(); measured && p != a && p.Offered.MaxVersion == "TLS 1.3" {
		if count > 0 {
			size += 1 + 2*count
		} else {
			approx = "about "
		}
	}
	var clients []ClientVerdict
	failing := 0
	for _, l := range chainSizeLimits {
		v := ClientVerdict{Client: l.client}
		// Java checks the message size before it counts certificates.
		switch {
		case l.bytes > 0 && size > l.bytes:
			v.Fails, v.Message = true, replacer("{size}", approx+fmt.Sprint(size)).Replace(l.message)
		case l.certs > 0 && count > l.certs:
			v.Fails, v.Message = true, replacer("{count}", fmt.Sprint(count)).Replace(javaCountMessage)
		default:
			v.Message = fmt.Sprintf("accepts it (limit %d bytes)", l.bytes)
		}
		if v.Fails {
			failing++
		}
		clients = append(clients, v)
	}
	if failing == 0 {
		return nil
	}
	how := "computed from the certificates"
	if measured {
		how = "as the server declared it"
	}
	title := fmt.Sprintf("the server's certificate chain is too large for some clients: %d certificates, a %d-byte Certificate message", count, size)
	if count == 0 {
		title = fmt.Sprintf("the server's Certificate message (%d bytes) is too large for every client tlsdoctor knows, Go's crypto/tls included", size)
	}
	f := Finding{
		Title: title,
		Detail: "TLS clients cap the size of the Certificate message (and Java the number of certificates) to bound memory; a server whose chain exceeds a client's cap cannot be reached by it at all, whatever else is right. " +
			"Usual causes: a leaf with thousands of subjectAltNames, a chain file with every intermediate of the CA, or a bundle appended twice.",
		Evidence: []string{
			fmt.Sprintf("Certificate message: %d bytes (%s), %d certificates, %s", size, how, count, a.Version),
			"client limits (measured): Java 17 32768 bytes and 10 certificates, OpenSSL 3 (curl, Python) 102400 bytes, GnuTLS about 128 KiB, Go 262144 bytes",
		},
		Clients: clients,
		Fix: []Step{
			Say("Send only the leaf and the intermediate(s) between it and the root: drop the root, duplicates and certificates of other chains (chain-extra-certs lists them). If the leaf itself is large, split its names over several certificates."),
			rerun(in, "--fix-bundle fullchain.pem"),
			Say("A Java client can be given larger limits until the server is fixed:"),
			Set("java", "-Djdk.tls.maxHandshakeMessageSize=262144 -Djdk.tls.maxCertificateChainLength=20"),
		},
	}
	if count == 0 {
		f.Evidence = append(f.Evidence, "crypto/tls stopped at the message header: the certificates were not read")
	}
	if a.CertificatesTruncated {
		f.Evidence = append(f.Evidence, "the message was larger than tlsdoctor keeps (512 KiB): only the first certificates were recorded")
	}
	if in.chainLimited() {
		f.Evidence = append(f.Evidence, fmt.Sprintf("tlsdoctor judged the path from the first %d certificates only", maxChainCerts))
	}
	return []Finding{f}
}
