package checks

import (
	"sort"
	"strings"

	"github.com/tlsdoctor/tlsdoctor/internal/ciphersuite"
	"github.com/tlsdoctor/tlsdoctor/internal/legacytls"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// ClientProfile is what one client offers by default: protocol versions,
// cipher suites (IANA code points), key-exchange groups and signature
// algorithms, with where those facts come from. --client NAME picks one;
// --tls-min/--tls-max/--ciphers build a custom one.
type ClientProfile struct {
	Name        string
	Description string
	// Source says where the lists come from.
	Source   string
	Versions []uint16
	Suites   []uint16
	// Groups are IANA named-group code points (29 x25519, 23 secp256r1,
	// 24 secp384r1, 25 secp521r1, 30 x448, 256.. ffdhe, 4588
	// X25519MLKEM768); empty means unknown (not judged).
	Groups []uint16
	// SigAlgs are the certificate key types the client can verify a
	// signature from: "rsa", "ecdsa", "ed25519", "dsa".
	SigAlgs []string
	// Schemes12 are the TLS 1.2 signature_algorithms the client offers
	// (IANA code points); empty means unknown (not judged).
	Schemes12 []uint16
	// MinDHBits is the smallest DHE prime the client accepts.
	MinDHBits int
	// Kind selects the fix wording: "java", "openssl", "go", "python",
	// "node", "dotnet", "custom".
	Kind string
}

const (
	vSSL3  = 0x0300
	vTLS10 = 0x0301
	vTLS11 = 0x0302
	vTLS12 = 0x0303
	vTLS13 = 0x0304
)

// openssl3Default is `openssl ciphers -V DEFAULT` on OpenSSL 3.0.19
// (Debian 12, default SECLEVEL 2), in OpenSSL's order. OpenSSL 1.1.1's
// DEFAULT is the same list (ALL:!COMPLEMENTOFDEFAULT:!eNULL).
var openssl3Default = []uint16{0x1302, 0x1303, 0x1301, 0xC02C, 0xC030, 0x009F, 0xCCA9, 0xCCA8, 0xCCAA, 0xC02B, 0xC02F, 0x009E, 0xC024, 0xC028, 0x006B, 0xC023, 0xC027, 0x0067, 0xC00A, 0xC014, 0x0039, 0xC009, 0xC013, 0x0033, 0x00AD, 0x00AB, 0xCCAE, 0xCCAD, 0xCCAC, 0x009D, 0x00A9, 0xCCAB, 0x00AC, 0x00AA, 0x009C, 0x00A8, 0x003D, 0x003C, 0xC038, 0xC036, 0xC021, 0xC020, 0x00B7, 0x00B3, 0x0095, 0x0091, 0x0035, 0x00AF, 0x008D, 0xC037, 0xC035, 0xC01E, 0xC01D, 0x00B6, 0x00B2, 0x0094, 0x0090, 0x002F, 0x00AE, 0x008C}

// java17Default is SSLContext.getDefault().getDefaultSSLParameters()
// .getCipherSuites() on OpenJDK 17.0 (measured), SCSV removed. JDK 11 and 21
// enable the same list; JDK 8u (8u261 and later) enables it as well.
var java17Default = suiteIDs(
	"TLS_AES_256_GCM_SHA384",
	"TLS_AES_128_GCM_SHA256",
	"TLS_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_DHE_DSS_WITH_AES_256_GCM_SHA384",
	"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_DHE_DSS_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
	"TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
	"TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	"TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_DHE_DSS_WITH_AES_256_CBC_SHA",
	"TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
	"TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
	"TLS_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_RSA_WITH_AES_256_CBC_SHA256",
	"TLS_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_RSA_WITH_AES_256_CBC_SHA",
	"TLS_RSA_WITH_AES_128_CBC_SHA",
)

// TLS 1.2 signature_algorithms, measured on this machine from each
// client's ClientHello (a crypto/tls server logging
// ClientHelloInfo.SignatureSchemes): OpenSSL 3.0.19 at its default
// SECLEVEL 2 (openssl s_client, curl 7.88, Python 3.11 and Node 20 send
// the same list), OpenJDK 17 and Go 1.26. Only Java offers SHA-1.
var (
	openssl3Schemes = probe.ModernSigAlgs
	java17Schemes   = []uint16{0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0402, 0x0303, 0x0301, 0x0302, 0x0203, 0x0201, 0x0202}
	goSchemes       = legacytls.CryptoTLSSigAlgs
)

// Groups as documented by each implementation.
var (
	javaGroups    = []uint16{29, 23, 24, 25, 30, 256, 257, 258, 259, 260} // JDK 11+ default jdk.tls.namedGroups (JSSE reference guide)
	java8Groups   = []uint16{23, 24, 25, 256, 257, 258, 259, 260}         // JDK 8u: no XDH
	opensslGroups = []uint16{29, 23, 30, 25, 24}                          // OpenSSL 3.0/1.1.1 default groups list (ssl/t1_lib.c)
	goGroups      = []uint16{4588, 29, 23, 24, 25}                        // crypto/tls defaultCurvePreferences, Go 1.24+
)

var clientProfiles = []ClientProfile{
	{Name: "java8", Description: "Java 8 (8u291 or later)", Kind: "java",
		Source:   "JDK 8u291 release notes (TLS 1.0/1.1 disabled), 8u341 (TLS 1.3 client enabled); same suite list as JDK 11+; no x25519",
		Versions: []uint16{vTLS12, vTLS13}, Suites: java17Default, Groups: java8Groups, SigAlgs: []string{"rsa", "ecdsa", "dsa"}, MinDHBits: 1024},
	{Name: "java11", Description: "Java 11 (11.0.11 or later)", Kind: "java",
		Source:   "JDK 11.0.11 release notes (TLS 1.0/1.1 in jdk.tls.disabledAlgorithms); suites as JDK 17",
		Versions: []uint16{vTLS12, vTLS13}, Suites: java17Default, Groups: javaGroups, SigAlgs: []string{"rsa", "ecdsa", "ed25519", "dsa"}, MinDHBits: 1024},
	{Name: "java17", Description: "Java 17", Kind: "java",
		Source:   "measured: OpenJDK 17 SSLContext default parameters; jdk.tls.disabledAlgorithms = SSLv3, TLSv1, TLSv1.1, RC4, DES, 3DES_EDE_CBC, anon, NULL, DH keySize < 1024",
		Versions: []uint16{vTLS12, vTLS13}, Suites: java17Default, Groups: javaGroups, SigAlgs: []string{"rsa", "ecdsa", "ed25519", "dsa"}, Schemes12: java17Schemes, MinDHBits: 1024},
	{Name: "java21", Description: "Java 21", Kind: "java",
		Source:   "JDK 21 JSSE reference guide: same default protocols and suites as JDK 17",
		Versions: []uint16{vTLS12, vTLS13}, Suites: java17Default, Groups: javaGroups, SigAlgs: []string{"rsa", "ecdsa", "ed25519", "dsa"}, MinDHBits: 1024},
	{Name: "openssl1.0.2", Description: "OpenSSL 1.0.2 (RHEL/CentOS 7 era)", Kind: "openssl",
		Source:   "OpenSSL 1.0.2 DEFAULT = ALL:!EXPORT:!LOW:!aNULL:!eNULL:!SSLv2 (includes 3DES and RC4); no TLS 1.3",
		Versions: []uint16{vTLS10, vTLS11, vTLS12},
		Suites: []uint16{0xC030, 0xC02C, 0xC028, 0xC024, 0xC014, 0xC00A, 0x009F, 0x006B, 0x0039, 0xC02F, 0xC02B, 0xC027, 0xC023, 0xC013, 0xC009, 0x009E, 0x0067, 0x0033,
			0x009D, 0x003D, 0x0035, 0x009C, 0x003C, 0x002F, 0xC012, 0x0016, 0x000A, 0xC011, 0x0005},
		Groups: []uint16{25, 24, 23}, SigAlgs: []string{"rsa", "ecdsa", "dsa"}, MinDHBits: 512},
	{Name: "openssl1.1.1", Description: "OpenSSL 1.1.1 (SECLEVEL 1)", Kind: "openssl",
		Source:   "OpenSSL 1.1.1 DEFAULT (same list as OpenSSL 3.0's DEFAULT), TLS 1.0-1.3, SECLEVEL 1 (DH >= 1024)",
		Versions: []uint16{vTLS10, vTLS11, vTLS12, vTLS13}, Suites: openssl3Default, Groups: opensslGroups, SigAlgs: []string{"rsa", "ecdsa", "ed25519", "dsa"}, MinDHBits: 1024},
	{Name: "openssl3", Description: "OpenSSL 3.0 (Debian 12)", Kind: "openssl",
		Source:   "measured: `openssl ciphers -V DEFAULT` on OpenSSL 3.0.19; it still offers TLS 1.0/1.1 (at SECLEVEL 1 and 2) but refuses their SHA-1 key-exchange signatures (legacy sigalg disallowed), so only RSA key exchange connects there; DH < 2048 (dh key too small)",
		Versions: []uint16{vTLS10, vTLS11, vTLS12, vTLS13}, Suites: openssl3Default, Groups: opensslGroups, SigAlgs: []string{"rsa", "ecdsa", "ed25519"}, Schemes12: openssl3Schemes, MinDHBits: 2048},
	{Name: "curl", Description: "curl with OpenSSL 3.0 (Debian 12)", Kind: "openssl",
		Source:   "curl 7.88 uses OpenSSL's defaults (see openssl3: TLS 1.0/1.1 only with RSA key exchange); measured failures in shared/client-errors.md",
		Versions: []uint16{vTLS10, vTLS11, vTLS12, vTLS13}, Suites: openssl3Default, Groups: opensslGroups, SigAlgs: []string{"rsa", "ecdsa", "ed25519"}, Schemes12: openssl3Schemes, MinDHBits: 2048},
	{Name: "go", Description: "Go crypto/tls (1.24 and later)", Kind: "go",
		Source:   "crypto/tls defaultCipherSuites and defaultCurvePreferences (Go 1.24+): ECDHE only (RSA key exchange removed from defaults in 1.22, 3DES in 1.23), no DHE, TLS 1.2 minimum since 1.18",
		Versions: []uint16{vTLS12, vTLS13}, Suites: []uint16{0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC009, 0xC013, 0xC00A, 0xC014},
		Groups: goGroups, SigAlgs: []string{"rsa", "ecdsa", "ed25519"}, Schemes12: goSchemes},
	{Name: "python", Description: "Python 3.10+ ssl.create_default_context()", Kind: "python",
		Source:   "CPython 3.10+ Modules/_ssl.c PY_SSL_DEFAULT_CIPHER_STRING '@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM', minimum TLS 1.2; expanded with OpenSSL 3.0",
		Versions: []uint16{vTLS12, vTLS13}, Suites: []uint16{0x1302, 0x1303, 0x1301, 0xC02C, 0xC030, 0xC02B, 0xC02F, 0xCCA9, 0xCCA8, 0xC024, 0xC028, 0xC023, 0xC027, 0x009F, 0x009E, 0x006B, 0x0067},
		Groups: opensslGroups, SigAlgs: []string{"rsa", "ecdsa", "ed25519"}, Schemes12: openssl3Schemes, MinDHBits: 2048},
	{Name: "node", Description: "Node.js 18+ tls defaults", Kind: "node",
		Source:   "Node.js tls.DEFAULT_CIPHERS and DEFAULT_MIN_VERSION 'TLSv1.2' (doc/api/tls.md), expanded with OpenSSL 3.0",
		Versions: []uint16{vTLS12, vTLS13}, Suites: []uint16{0x1302, 0x1303, 0x1301, 0xC02F, 0xC02B, 0xC030, 0xC02C, 0x009E, 0xC027, 0x0067, 0xC028, 0x006B, 0x009F, 0xCCA9, 0xCCA8, 0xCCAA, 0xC024, 0xC023, 0xC00A, 0xC014, 0x0039, 0xC009, 0xC013, 0x0033, 0x009D, 0x009C, 0x003D, 0x003C, 0x0035, 0x002F},
		Groups: opensslGroups, SigAlgs: []string{"rsa", "ecdsa", "ed25519"}, Schemes12: openssl3Schemes, MinDHBits: 1024},
	{Name: "dotnet", Description: ".NET 6+ on Linux (system OpenSSL 3)", Kind: "dotnet",
		Source:   ".NET on Linux uses the system OpenSSL and its policy (learn.microsoft.com: TLS best practices with .NET); on Windows SChannel decides",
		Versions: []uint16{vTLS12, vTLS13}, Suites: openssl3Default, Groups: opensslGroups, SigAlgs: []string{"rsa", "ecdsa", "ed25519"}, Schemes12: openssl3Schemes, MinDHBits: 2048},
}

// ClientProfiles returns every built-in profile, in a fixed order.
func ClientProfiles() []ClientProfile { return clientProfiles }

// ClientProfileNames lists the --client names.
func ClientProfileNames() []string {
	var out []string
	for _, p := range clientProfiles {
		out = append(out, p.Name)
	}
	return out
}

// LookupClient finds a built-in profile by name (case-insensitive).
func LookupClient(name string) (ClientProfile, bool) {
	for _, p := range clientProfiles {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return ClientProfile{}, false
}

// suiteIDs maps IANA names to code points; an unknown name is a bug in
// this table, caught by TestClientProfiles.
func suiteIDs(names ...string) []uint16 {
	var out []uint16
	for _, n := range names {
		in, ok := ciphersuite.ByName(n)
		if !ok {
			panic("checks: unknown cipher suite " + n)
		}
		out = append(out, in.ID)
	}
	return out
}

func versionsSorted(vs []uint16) []uint16 {
	out := append([]uint16(nil), vs...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
