//go:build realpeers

package probe_test

// Real servers for the realpeers tests (make test-real): each is started
// from a configuration generated here, in a temporary directory, on free
// loopback ports, and stopped when the test ends. A test skips with the
// Debian package to install when the program is missing.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// serviceDir is a temporary directory every service user can enter, with
// the lab's chain (chain.pem: leaf, intermediate) and key (key.pem).
func serviceDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tlsdoctor-real-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l := testLab(t)
	write(t, filepath.Join(dir, "chain.pem"), l.PKI.PEMBundle("leaf", "intermediate"), 0o644)
	// Services read the key after dropping root; it is a test key.
	write(t, filepath.Join(dir, "key.pem"), l.PKI.Get("leaf").KeyPEM(), 0o644)
	return dir
}

func write(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path, owner string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if owner != "" {
		if out, err := exec.Command("chown", "-R", owner, path).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v %s", path, err, out)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := fixtures.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// need returns the program's path or skips the test.
func need(t *testing.T, bin, pkg string) string {
	t.Helper()
	p, err := fixtures.LookDaemon(bin, pkg)
	if err != nil {
		t.Skip(err)
	}
	return p
}

// start runs cmd as a daemon (bounded by 30 s) and stops it at the end.
func startD(t *testing.T, name string, cmd *exec.Cmd, user string, ports ...int) *fixtures.Daemon {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := fixtures.StartDaemon(ctx, name, cmd, user, ports...)
	if err != nil {
		if errors.Is(err, fixtures.ErrNotInstalled) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func runCmd(t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// dovecotPorts are the IMAP, POP3 and ManageSieve ports of one Dovecot.
type dovecotPorts struct{ imap, pop3, sieve int }

func startDovecot(t *testing.T, withTLS bool) dovecotPorts { return startDovecotWith(t, withTLS, nil) }

// startDovecotWith serves leaf, alone, instead of the lab's chain when it
// is set.
func startDovecotWith(t *testing.T, withTLS bool, leaf *fixtures.Issued) dovecotPorts {
	dovecot := need(t, "dovecot", "dovecot-imapd dovecot-pop3d dovecot-managesieved")
	dir := serviceDir(t)
	if leaf != nil {
		write(t, filepath.Join(dir, "chain.pem"), leaf.PEM(), 0o644)
		write(t, filepath.Join(dir, "key.pem"), leaf.KeyPEM(), 0o644)
	}
	p := dovecotPorts{freePort(t), freePort(t), freePort(t)}
	mkdir(t, filepath.Join(dir, "run"), "")
	mkdir(t, filepath.Join(dir, "state"), "")
	ssl := "ssl = no"
	if withTLS {
		ssl = fmt.Sprintf("ssl = yes\nssl_cert = <%[1]s/chain.pem\nssl_key = <%[1]s/key.pem", dir)
	}
	protocols := "imap pop3"
	sieve := ""
	if _, err := os.Stat("/usr/lib/dovecot/managesieve-login"); err == nil {
		protocols += " sieve"
		sieve = fmt.Sprintf("service managesieve-login {\n  inet_listener sieve {\n    port = %d\n  }\n}\n", p.sieve)
	} else {
		p.sieve = 0
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = /dev/stderr
protocols = %[2]s
listen = 127.0.0.1
%[3]s
default_internal_user = dovecot
default_login_user = dovenull
auth_mechanisms = plain
passdb {
  driver = static
  args = password=unused
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[1]s/home
}
service imap-login {
  inet_listener imap {
    port = %[4]d
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = %[5]d
  }
  inet_listener pop3s {
    port = 0
  }
}
%[6]s`, dir, protocols, ssl, p.imap, p.pop3, sieve)
	write(t, filepath.Join(dir, "dovecot.conf"), []byte(conf), 0o644)
	ports := []int{p.imap, p.pop3}
	if p.sieve != 0 {
		ports = append(ports, p.sieve)
	}
	startD(t, "dovecot", exec.Command(dovecot, "-F", "-c", filepath.Join(dir, "dovecot.conf")), "", ports...)
	return p
}

func startSlapd(t *testing.T, withTLS bool) int {
	slapd := need(t, "slapd", "slapd")
	dir := serviceDir(t)
	port := freePort(t)
	mkdir(t, filepath.Join(dir, "db"), "")
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "dc=fake,dc=test"
directory %[1]s/db
`, dir)
	if withTLS {
		conf = fmt.Sprintf("TLSCertificateFile %[1]s/chain.pem\nTLSCertificateKeyFile %[1]s/key.pem\n", dir) + conf
	}
	write(t, filepath.Join(dir, "slapd.conf"), []byte(conf), 0o644)
	startD(t, "slapd", exec.Command(slapd, "-d", "0", "-f", filepath.Join(dir, "slapd.conf"), "-h", fmt.Sprintf("ldap://127.0.0.1:%d/", port)), "", port)
	return port
}

// postgresBin finds Debian's PostgreSQL server binaries.
func postgresBin(t *testing.T) string {
	t.Helper()
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(matches) == 0 {
		t.Skip("PostgreSQL is not installed (apt-get install postgresql)")
	}
	return filepath.Dir(matches[len(matches)-1])
}

func startPostgres(t *testing.T, withTLS bool) int {
	bin := postgresBin(t)
	dir := serviceDir(t)
	port := freePort(t)
	data := filepath.Join(dir, "data")
	mkdir(t, data, "postgres")
	// PostgreSQL refuses a key readable by others, and runs as its own user.
	write(t, filepath.Join(dir, "pg.key"), testLab(t).PKI.Get("leaf").KeyPEM(), 0o600)
	if out, err := exec.Command("chown", "postgres", filepath.Join(dir, "pg.key")).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	runAs(t, "postgres", filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync")
	args := []string{"-D", data, "-p", strconv.Itoa(port), "-k", data, "-c", "listen_addresses=127.0.0.1"}
	if withTLS {
		args = append(args, "-c", "ssl=on", "-c", "ssl_cert_file="+filepath.Join(dir, "chain.pem"), "-c", "ssl_key_file="+filepath.Join(dir, "pg.key"))
	}
	startD(t, "postgres", exec.Command(filepath.Join(bin, "postgres"), args...), "postgres", port)
	return port
}

// waitGreeting waits (at most 30 s) until a connection to port gets a
// first byte.
func waitGreeting(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, _ := c.Read(make([]byte, 1))
			c.Close()
			if n == 1 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond) // poll interval
	}
	t.Fatalf("no greeting on port %d within 30 s", port)
}

// runAs runs a command as a system user, bounded by 60 s.
func runAs(t *testing.T, user, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", user, "--", name}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s (as %s): %v\n%s", name, strings.Join(args, " "), user, err, out)
	}
}

func startMariaDB(t *testing.T, withTLS bool) int {
	mariadbd := need(t, "mariadbd", "mariadb-server")
	install := need(t, "mariadb-install-db", "mariadb-server")
	dir := serviceDir(t)
	port := freePort(t)
	data := filepath.Join(dir, "data")
	runCmd(t, install, "--no-defaults", "--datadir="+data, "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db")
	args := []string{"--no-defaults", "--datadir=" + data, "--user=root", "--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(dir, "sock"), "--pid-file=" + filepath.Join(dir, "pid"), "--skip-log-error", "--innodb-buffer-pool-size=16M"}
	if withTLS {
		args = append(args, "--ssl-cert="+filepath.Join(dir, "chain.pem"), "--ssl-key="+filepath.Join(dir, "key.pem"))
	}
	startD(t, "mariadbd", exec.Command(mariadbd, args...), "", port)
	// MariaDB listens before it is ready, and closes what it accepts
	// until then: wait for its handshake packet.
	waitGreeting(t, port)
	return port
}

// prosodyPorts are the client and server ports of one Prosody.
type prosodyPorts struct{ c2s, s2s int }

func startProsody(t *testing.T) prosodyPorts {
	prosody := need(t, "prosody", "prosody")
	dir := serviceDir(t)
	p := prosodyPorts{freePort(t), freePort(t)}
	mkdir(t, filepath.Join(dir, "data"), "prosody")
	conf := fmt.Sprintf(`pidfile = "%[1]s/data/prosody.pid"
data_path = "%[1]s/data"
daemonize = false
log = { { levels = { min = "error" }, to = "console" } }
interfaces = { "127.0.0.1" }
c2s_ports = { %[2]d }
s2s_ports = { %[3]d }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
plugin_paths = { }
modules_enabled = { "tls", "saslauth", "dialback", "disco" }
c2s_require_encryption = true
s2s_require_encryption = true
authentication = "internal_hashed"
VirtualHost "%[4]s"
  ssl = { certificate = "%[1]s/chain.pem", key = "%[1]s/key.pem" }
`, dir, p.c2s, p.s2s, fixtures.Host)
	write(t, filepath.Join(dir, "prosody.cfg.lua"), []byte(conf), 0o644)
	cmd := exec.Command(prosody, "--config", filepath.Join(dir, "prosody.cfg.lua"))
	startD(t, "prosody", cmd, "prosody", p.c2s, p.s2s)
	return p
}

func startVsftpd(t *testing.T, withTLS bool) int {
	vsftpd := need(t, "vsftpd", "vsftpd")
	dir := serviceDir(t)
	port := freePort(t)
	mkdir(t, filepath.Join(dir, "empty"), "")
	conf := fmt.Sprintf(`listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=%[2]d
background=NO
anonymous_enable=NO
local_enable=YES
secure_chroot_dir=%[1]s/empty
pam_service_name=vsftpd
seccomp_sandbox=NO
`, dir, port)
	if withTLS {
		conf += fmt.Sprintf("ssl_enable=YES\nrsa_cert_file=%[1]s/chain.pem\nrsa_private_key_file=%[1]s/key.pem\nssl_tlsv1=YES\n", dir)
	}
	write(t, filepath.Join(dir, "vsftpd.conf"), []byte(conf), 0o600)
	startD(t, "vsftpd", exec.Command(vsftpd, filepath.Join(dir, "vsftpd.conf")), "", port)
	return port
}

// Squid modes.
const (
	squidAllow  = "allow"  // CONNECT anywhere
	squidAuth   = "auth"   // Basic authentication required (407)
	squidForbid = "forbid" // CONNECT denied (403)
	squidBump   = "bump"   // TLS interception with its own CA (ssl-bump)
)

// squidUser and squidPassword are the test proxy's credentials.
const (
	squidUser     = "alice"
	squidPassword = "pr0xy-s3cret"
)

// startSquid runs Squid in one mode; for squidBump, caPEM and caKeyPEM are
// the interception CA, and upstream is the CA file Squid verifies servers
// with.
func startSquid(t *testing.T, mode string, caPEM, caKeyPEM, upstream []byte) int {
	squid := need(t, "squid", "squid-openssl")
	dir := serviceDir(t)
	port := freePort(t)
	http := fmt.Sprintf("http_port 127.0.0.1:%d", port)
	access := "http_access allow localhost\nhttp_access deny all"
	extra := ""
	switch mode {
	case squidAuth:
		hash, err := exec.Command("openssl", "passwd", "-apr1", squidPassword).Output()
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, "passwd"), []byte(squidUser+":"+strings.TrimSpace(string(hash))+"\n"), 0o644)
		extra = fmt.Sprintf("auth_param basic program /usr/lib/squid/basic_ncsa_auth %s/passwd\nauth_param basic realm tlsdoctor-test\nacl authed proxy_auth REQUIRED\n", dir)
		access = "http_access allow authed\nhttp_access deny all"
	case squidForbid:
		access = "http_access deny CONNECT\nhttp_access allow localhost\nhttp_access deny all"
	case squidBump:
		write(t, filepath.Join(dir, "mitm.pem"), append(append([]byte{}, caPEM...), caKeyPEM...), 0o644)
		write(t, filepath.Join(dir, "upstream.pem"), upstream, 0o644)
		certgen := "/usr/lib/squid/security_file_certgen"
		if _, err := os.Stat(certgen); err != nil {
			t.Skip("squid without ssl-bump support (apt-get install squid-openssl)")
		}
		runCmd(t, certgen, "-c", "-s", filepath.Join(dir, "ssl_db"), "-M", "4MB")
		mkdir(t, filepath.Join(dir, "ssl_db"), "proxy")
		http += fmt.Sprintf(" ssl-bump tls-cert=%s/mitm.pem generate-host-certificates=on dynamic_cert_mem_cache_size=4MB", dir)
		extra = fmt.Sprintf("sslcrtd_program %s -s %s/ssl_db -M 4MB\nacl step1 at_step SslBump1\nssl_bump peek step1\nssl_bump bump all\ntls_outgoing_options cafile=%s/upstream.pem\n", certgen, dir, dir)
	}
	conf := fmt.Sprintf(`%s
pid_filename %[2]s/squid.pid
cache_log stdio:/dev/stderr
access_log none
cache deny all
coredump_dir %[2]s
acl SSL_ports port 1-65535
acl CONNECT method CONNECT
%s%s
shutdown_lifetime 0 seconds
`, http, dir, extra, access)
	write(t, filepath.Join(dir, "squid.conf"), []byte(conf), 0o644)
	startD(t, "squid", exec.Command(squid, "-N", "-f", filepath.Join(dir, "squid.conf")), "", port)
	return port
}

func startTinyproxy(t *testing.T, auth bool) int {
	tinyproxy := need(t, "tinyproxy", "tinyproxy")
	dir := serviceDir(t)
	port := freePort(t)
	conf := fmt.Sprintf("User nobody\nGroup nogroup\nPort %d\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nLogLevel Error\nPidFile \"%s/tinyproxy.pid\"\n", port, dir)
	if auth {
		conf += "BasicAuth " + squidUser + " " + squidPassword + "\n"
	}
	write(t, filepath.Join(dir, "tinyproxy.conf"), []byte(conf), 0o644)
	startD(t, "tinyproxy", exec.Command(tinyproxy, "-d", "-c", filepath.Join(dir, "tinyproxy.conf")), "", port)
	return port
}

// startPostfix runs Postfix's master in the foreground (master -d -c DIR)
// from a private configuration: smtpd on 127.0.0.1:port, no chroot, the
// queue and data directories in a temporary directory, logging to
// stdout (maillog_file, through postlogd), so a failure shows Postfix's
// own words. Only the services smtpd needs are in master.cf: without
// proxymap, smtpd blocks in its first lookup and never answers the
// connections master accepted for it.
// tlsConf, when set, gives the main.cf TLS lines for the directory that
// holds chain.pem and key.pem; without it TLS is off.
func startPostfix(t *testing.T, tlsConf func(dir string) string) int {
	t.Helper()
	need(t, "postfix", "postfix")
	master := "/usr/lib/postfix/sbin/master"
	if _, err := os.Stat(master); err != nil {
		t.Skip("postfix master not found at " + master + " (apt-get install postfix)")
	}
	dir := serviceDir(t)
	port := freePort(t)
	conf, queue, data := filepath.Join(dir, "conf"), filepath.Join(dir, "queue"), filepath.Join(dir, "data")
	mkdir(t, conf, "")
	mkdir(t, queue, "")
	mkdir(t, filepath.Join(queue, "pid"), "")
	mkdir(t, data, "postfix")
	for _, d := range []struct{ name, owner string }{{"private", "postfix"}, {"public", "postfix:postdrop"}} {
		mkdir(t, filepath.Join(queue, d.name), d.owner)
	}
	tls := "smtpd_tls_security_level = none\n"
	if tlsConf != nil {
		tls = tlsConf(dir) + "\n"
	}
	main := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = %[3]s
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
maillog_file = /dev/stdout
%[4]s`, queue, data, fixtures.Host, tls)
	mastercf := fmt.Sprintf(`127.0.0.1:%d inet n - n - - smtpd
anvil unix - - n - 1 anvil
rewrite unix - - n - - trivial-rewrite
cleanup unix n - n - 0 cleanup
proxymap unix - - n - - proxymap
tlsmgr unix - - n 1000? 1 tlsmgr
postlog unix-dgram n - n - 1 postlogd
`, port)
	write(t, filepath.Join(conf, "main.cf"), []byte(main), 0o644)
	write(t, filepath.Join(conf, "master.cf"), []byte(mastercf), 0o644)
	// master binds the port before smtpd runs: wait for the greeting.
	startD(t, "postfix", exec.Command(master, "-d", "-c", conf), "", port)
	waitGreeting(t, port)
	return port
}

// startDovecotLMTP runs Dovecot's LMTP server on a TCP port (Dovecot
// offers STARTTLS there when ssl is on).
func startDovecotLMTP(t *testing.T, withTLS bool) int {
	t.Helper()
	dovecot := need(t, "dovecot", "dovecot-lmtpd")
	if _, err := os.Stat("/usr/lib/dovecot/lmtp"); err != nil {
		t.Skip("dovecot lmtp not installed (apt-get install dovecot-lmtpd)")
	}
	dir := serviceDir(t)
	port := freePort(t)
	mkdir(t, filepath.Join(dir, "run"), "")
	mkdir(t, filepath.Join(dir, "state"), "")
	ssl := "ssl = no"
	if withTLS {
		ssl = fmt.Sprintf("ssl = yes\nssl_cert = <%[1]s/chain.pem\nssl_key = <%[1]s/key.pem", dir)
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = /dev/stderr
protocols = lmtp
listen = 127.0.0.1
%[2]s
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = static
  args = password=unused
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[1]s/home
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %[3]d
  }
  unix_listener lmtp {
    mode = 0600
  }
}
`, dir, ssl, port)
	write(t, filepath.Join(dir, "dovecot.conf"), []byte(conf), 0o644)
	startD(t, "dovecot-lmtp", exec.Command(dovecot, "-F", "-c", filepath.Join(dir, "dovecot.conf")), "", port)
	waitGreeting(t, port)
	return port
}
