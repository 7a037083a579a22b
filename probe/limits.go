package probe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"reflect"
	"unicode/utf8"
)

// What a peer may make us read and keep. Every read from a server after
// the TLS handshake (the HTTP status line of the verdict request, and the
// STARTTLS greetings, banners and proxy answers of the connection layer)
// goes through readLine with a cap, and every string the probe records is
// clamped (clampStrings), so that a server that floods costs a bounded
// amount of memory and leaves a record that Validate accepts.
const (
	// MaxLine is the longest line read from a peer: an HTTP status line,
	// a header or a banner line. Real ones are under 200 bytes.
	MaxLine = 4 << 10
	// maxRecordedString is the longest string a record keeps; longer
	// ones (an AIA URL or a DN a certificate made huge) are cut with a
	// marker saying how long they were.
	maxRecordedString = 8 << 10
	// maxFetchHeaders bounds the response headers of an AIA, OCSP or CRL
	// download (net/http's default is 10 MiB).
	maxFetchHeaders = 64 << 10
)

// ErrLineTooLong is returned by readLine for a line longer than its cap.
var ErrLineTooLong = errors.New("line too long")

// readLine reads one line (up to and without its "\n" or "\r\n") of at
// most max bytes. A longer line returns its first max bytes and
// ErrLineTooLong, having read no more than max+1 bytes of it; at the end
// of the stream it returns what came, with the reader's error.
func readLine(r *bufio.Reader, max int) (string, error) {
	var line []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			return string(line), err
		}
		if b == '\n' {
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return string(line), nil
		}
		if len(line) == max {
			return string(line), ErrLineTooLong
		}
		line = append(line, b)
	}
}

// limitedReader is io.LimitReader for readLine's bufio.Reader: a peer
// cannot make the buffer read past n bytes in all.
func limitedReader(r io.Reader, n int64) *bufio.Reader {
	return bufio.NewReaderSize(io.LimitReader(r, n), 512)
}

// clampStrings cuts every string of v (a pointer to a record or part of
// one) longer than maxRecordedString, at a UTF-8 boundary, and says how
// long it was.
func clampStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			clampStrings(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				clampStrings(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := 0; i < v.Len(); i++ {
				clampStrings(v.Index(i))
			}
		}
	case reflect.String:
		if s := v.String(); len(s) > maxRecordedString {
			v.SetString(clamp(s, maxRecordedString))
		}
	}
}

// clamp cuts s to about n bytes, marking the cut.
func clamp(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…[cut: %d bytes in all]", len(s))
}
