//go:build unix

package inspect

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A FIFO nobody writes to (tlsdoctor inspect <(…) whose command failed)
// and a device give one error line at once; both hung or read 16 MiB
// before ReadFile used inputfile.Read.
func TestReadFileNotAFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() {
			data, err := ReadFile(path, nil)
			if err == nil {
				_, err = Read(data, Options{Name: path})
			}
			done <- err
		}()
		select {
		case err := <-done:
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != path {
				t.Errorf("%s: %v, want an InputError naming the file", path, err)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("%s: ReadFile still reading after 3s", path)
		}
	}
}

// -Djava.security.properties names a file the user typed: a FIFO or a
// device there fails at once instead of hanging or filling memory.
func TestReadPropertiesNotAFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() { _, err := readProperties(path); done <- err }()
		select {
		case err := <-done:
			if path == "/dev/zero" && err == nil {
				t.Errorf("%s: read as a properties file", path)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("%s: readProperties still reading after 3s", path)
		}
	}
}
