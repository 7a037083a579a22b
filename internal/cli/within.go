package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
)

// within runs load (reading and decrypting the input files named in
// files, "--flag FILE" each) and gives up when ctx ends first: --timeout
// bounds the whole run. Key derivation cannot be interrupted, so an
// abandoned load finishes in the background while the command exits;
// inputfile.CheckKeyDerivation bounds what it can cost.
func within(ctx context.Context, timeout time.Duration, files []string, load func() error) error {
	done := make(chan error, 1)
	go func() { done <- load() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return &inputError{err: fmt.Errorf("%s: still reading after --timeout %s", strings.Join(files, ", "), timeout),
			hint: "a pipe or FIFO must send the whole file and close it; a PKCS#12 file or keystore that asks for many key-derivation iterations is slow to open: give a longer --timeout"}
	}
}

// fileFlags lists the file flags of fs that were given, as "--flag FILE".
func fileFlags(fs *pflag.FlagSet, names ...string) []string {
	var out []string
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Changed {
			v := f.Value.String()
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				v = strings.Join(sv.GetSlice(), ", --"+n+" ")
			}
			out = append(out, "--"+n+" "+v)
		}
	}
	return out
}

// inputHint is the hint for an input file error that carries none.
func inputHint(err error) string {
	switch {
	case errors.Is(err, inputfile.ErrTooLarge):
		return "is it the right file? Certificates, keys, keystores and records are far smaller"
	case errors.Is(err, inputfile.ErrNotAFile):
		return "give the path of a certificate, key, keystore or record file"
	case errors.Is(err, inputfile.ErrTimeout):
		return "a pipe or FIFO must send the whole file and close it within " + inputfile.PipeTimeout.String()
	case errors.Is(err, os.ErrNotExist):
		return "check the path"
	case errors.Is(err, os.ErrPermission):
		return "check the file's permissions"
	}
	return ""
}
