package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tlsdoctor/tlsdoctor/fixtures"
)

// BenchmarkDefaultRunCLI is a whole default run as the command line makes
// it, in-process: the default truststores (system, embedded Mozilla, the
// JDK's cacerts) loading while the handshake runs, the handshake with the
// check without SNI, and the judgement and text report. Profile it with
//
//	go test ./internal/cli -run '^$' -bench DefaultRunCLI -benchtime 50x -cpuprofile /tmp/cpu.out
func BenchmarkDefaultRunCLI(b *testing.B) {
	lab := fixtures.TestLab(b, time.Now())
	srv, err := lab.Start("good")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	args := []string{fmt.Sprintf("%s:%d", fixtures.Host, srv.Port), "--connect-to", "127.0.0.1", "--revocation", "off"}
	b.ResetTimer()
	for range b.N {
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		RunEnv(ctx, args, Env{Stdout: &out, Stderr: &errb, Now: time.Now, Getenv: os.Getenv})
		cancel()
	}
}
