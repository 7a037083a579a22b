package cli

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// result is what one tlsdoctor invocation printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// invoke runs tlsdoctor in-process with args and the given environment
// variables (nil: none), bounded by a minute (a --scan run's default).
// The tests match content, so the page is 1000 columns wide unless env
// sets COLUMNS.
func invoke(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	getenv := func(k string) string {
		if v, ok := env[k]; ok || k != "COLUMNS" {
			return v
		}
		return "1000"
	}
	code := RunEnv(ctx, args, Env{Stdout: &out, Stderr: &errb, Now: time.Now, Getenv: getenv})
	return result{out.String(), errb.String(), code}
}
