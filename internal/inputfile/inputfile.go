// Package inputfile reads the files a user names on the command line —
// certificates, keys, keystores, truststores, records, password files —
// with a bound on their size and on the time a pipe or FIFO may take, and
// bounds the key-derivation work a PKCS#12 file or encrypted key may ask
// for (kdf.go). A 2 GB file, /dev/zero or a FIFO nobody writes to fails at
// once with an error that says so, instead of filling memory or hanging.
// It owns nothing else: parsing belongs to the callers.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Size limits, far above any real file of the kind.
const (
	// MaxCertificateFile bounds certificate bundles, truststores and
	// keystores (PEM, DER, PKCS#12, JKS): the system bundle is about
	// 200 KiB, a JDK's cacerts about 150 KiB.
	MaxCertificateFile = 32 << 20
	// MaxKeyFile bounds a private key file.
	MaxKeyFile = 1 << 20
	// MaxPasswordFile bounds a password file.
	MaxPasswordFile = 64 << 10
)

// PipeTimeout is how long a pipe, FIFO or device may take to deliver its
// content (`--ca-file <(…)` needs a moment; a FIFO nobody writes to must
// not hang tlsdoctor).
const PipeTimeout = 5 * time.Second

// ErrTooLarge is wrapped by the error for a file over its limit.
var ErrTooLarge = errors.New("too large")

// ErrNotAFile is wrapped by the error for a device (/dev/zero).
var ErrNotAFile = errors.New("not a file")

// ErrTimeout is wrapped by the error for a pipe or device that did not
// deliver its content within PipeTimeout.
var ErrTimeout = errors.New("no end of data")

// Read reads the file at path, at most limit bytes. A regular file larger
// than limit is refused from its size, without reading it; a device is
// refused; a pipe or FIFO (`--ca-file <(…)`) is read until limit+1 bytes
// or PipeTimeout. Errors are *fs.PathError-free sentences: "is larger than
// 32 MiB (the limit for this file)", "is a directory", the OS error.
func Read(path string, limit int64) ([]byte, error) { return read(path, limit, PipeTimeout) }

func read(path string, limit int64, pipeTimeout time.Duration) ([]byte, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case st.IsDir():
		return nil, errors.New("is a directory")
	case st.Mode()&fs.ModeDevice != 0:
		// /dev/zero, /dev/urandom, a disk: never a certificate, and
		// an endless one costs its whole limit in memory first.
		return nil, &fileError{"is a device, not a file", ErrNotAFile}
	case st.Mode().IsRegular() && st.Size() > limit:
		return nil, &fileError{fmt.Sprintf("is %s, larger than the %s a file of this kind may be", size(st.Size()), size(limit)), ErrTooLarge}
	case !st.Mode().IsRegular():
		// A pipe or FIFO honours a deadline.
		_ = f.SetReadDeadline(time.Now().Add(pipeTimeout))
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, &fileError{fmt.Sprintf("is a pipe that sent no end of data within %s", pipeTimeout), ErrTimeout}
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	case int64(len(data)) > limit:
		return nil, &fileError{fmt.Sprintf("holds more than the %s a file of this kind may be", size(limit)), ErrTooLarge}
	}
	return data, nil
}

// fileError is a refusal with its sentinel (errors.Is).
type fileError struct {
	msg  string
	kind error
}

func (e *fileError) Error() string        { return e.msg }
func (e *fileError) Is(target error) bool { return target == e.kind }

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
