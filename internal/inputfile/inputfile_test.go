package inputfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := Read(small, 10); err != nil || string(data) != "hello" {
		t.Errorf("Read(small) = %q, %v", data, err)
	}
	if _, err := Read(small, 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read over the limit = %v, want ErrTooLarge", err)
	}
	if _, err := Read(dir, 10); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Read(dir) = %v", err)
	}
	if _, err := Read(filepath.Join(dir, "nope"), 10); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read(missing) = %v", err)
	}
}

// A sparse 2 GiB file is refused from its size, without reading it.
func TestReadHugeFileNotRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	_, err = Read(path, MaxCertificateFile)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "is 2.0 GiB") {
		t.Errorf("Read(2 GiB) = %v", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("took %s", d)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("allocated %d bytes for a file it refused", grew)
	}
}

func TestReadDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	t0 := time.Now()
	if _, err := Read("/dev/zero", MaxKeyFile); !errors.Is(err, ErrNotAFile) {
		t.Errorf("Read(/dev/zero) = %v, want ErrNotAFile", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("took %s", d)
	}
}

func TestReadFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	// Nobody writes: it ends at once, empty (the callers say "is empty").
	t0 := time.Now()
	if data, err := Read(fifo, 10); err != nil || len(data) != 0 {
		t.Errorf("Read(FIFO without writer) = %q, %v", data, err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("took %s", d)
	}
	// A writer that holds it open and sends nothing: PipeTimeout.
	done := make(chan struct{})
	defer close(done)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		<-done
	}()
	time.Sleep(100 * time.Millisecond)
	t0 = time.Now()
	_, err := read(fifo, 10, 300*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("Read(silent FIFO) = %v, want ErrTimeout", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}

// ReadPassword takes the first line, as openssl and keytool do.
func TestReadPassword(t *testing.T) {
	for content, want := range map[string]string{
		"secret":                "secret",
		"secret\n":              "secret",
		"secret\r\n":            "secret",
		"secret\nsecond line\n": "secret",
		" spaced pass \n":       " spaced pass ",
		"":                      "",
	} {
		p := filepath.Join(t.TempDir(), "pw")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadPassword(p)
		if err != nil || got != want {
			t.Errorf("ReadPassword(%q) = %q, %v; want %q", content, got, err, want)
		}
	}
}
