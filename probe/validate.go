package probe

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// A record is untrusted input: it may come from a ticket, a mail or an
// attacker. Validate checks what the checks rely on, so that every check
// and renderer is safe on any record it accepts; DecodeRecord runs it.
// docs/record.md lists the rules.

// Limits of a valid record. They are far above what the probe writes: a
// TLS certificate message is at most 256 KiB (crypto/tls), an OCSP body
// 256 KiB, a CRL kept whole at most maxCRLBody (records written before
// CRLs were summarised kept up to that much).
const (
	// MaxRecordSize is the largest record file tlsdoctor reads.
	MaxRecordSize   = 64 << 20
	maxRecordString = 64 << 10
	maxRecordBytes  = 1 << 20
	maxRecordItems  = 4096
)

// bigByteFields may hold more than maxRecordBytes.
var bigByteFields = map[string]int{"response": maxCRLBody}

// RecordError is a record that does not pass Validate: Field names the
// offending field as a JSON path ("attempts[2].error.alert").
type RecordError struct {
	Field   string
	Problem string
}

func (e *RecordError) Error() string { return e.Field + " " + e.Problem }

// ErrInvalidRecord is wrapped by every RecordError DecodeRecord returns.
var ErrInvalidRecord = errors.New("not a valid record")

// Validate checks a decoded record: versions, sizes, required fields and
// indices in range. It returns a *RecordError for the first problem.
func (r *Record) Validate() error {
	switch {
	case r.RecordVersion == 0:
		return &RecordError{"record_version", "is missing"}
	case r.RecordVersion < 0 || r.RecordVersion > RecordVersion:
		return &RecordError{"record_version", fmt.Sprintf("is %d; this tlsdoctor reads 1 to %d", r.RecordVersion, RecordVersion)}
	case r.Target.Host == "":
		return &RecordError{"target.host", "is missing"}
	case r.Target.Port < 1 || r.Target.Port > 65535:
		return &RecordError{"target.port", fmt.Sprintf("is %d, not a port from 1 to 65535", r.Target.Port)}
	case r.Target.ConnectPort < 0 || r.Target.ConnectPort > 65535:
		return &RecordError{"target.connect_port", fmt.Sprintf("is %d, not a port", r.Target.ConnectPort)}
	}
	if err := sizes(reflect.ValueOf(r).Elem(), ""); err != nil {
		return err
	}
	if err := errorsComplete(reflect.ValueOf(r).Elem(), ""); err != nil {
		return err
	}
	if a := r.Primary(); a != nil && a.Outcome != "ok" && a.Error == nil {
		return &RecordError{"attempts[0].error", "is missing: the primary attempt did not succeed (outcome " + strconv.Quote(a.Outcome) + ") but says no why"}
	}
	if ci := r.ClientIdentity; ci != nil && len(ci.Certificates) == 0 {
		return &RecordError{"client_identity.certificates", "is empty: a client identity has at least its own certificate"}
	}
	if rv := r.Revocation; rv != nil {
		n := len(r.RevocationChain())
		for i, f := range rv.Fetches {
			if f.CertIndex < 0 || f.CertIndex >= n {
				return &RecordError{fmt.Sprintf("revocation.fetches[%d].cert_index", i), fmt.Sprintf("is %d, outside the chain (%d certificates)", f.CertIndex, n)}
			}
		}
	}
	if sc := r.Scan; sc != nil {
		for i, v := range sc.Versions {
			if v.Supported && len(v.Suites) == 0 {
				return &RecordError{fmt.Sprintf("scan.versions[%d].suites", i), "is empty but the version is marked supported"}
			}
		}
	}
	return nil
}

// errorsComplete checks every ProbeError in v: an alert error names its
// alert.
func errorsComplete(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		if pe, ok := v.Interface().(*ProbeError); ok && pe.Kind == KindAlert && pe.Alert == nil {
			return &RecordError{path + ".alert", "is missing: an alert error names its alert"}
		}
		return errorsComplete(v.Elem(), path)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if name, ok := jsonName(t.Field(i)); ok {
				if err := errorsComplete(v.Field(i), join(path, name)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if err := errorsComplete(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// sizes checks every string, byte string and list in v against the
// limits, so that a new field is bounded without a rule of its own.
func sizes(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			return sizes(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if name, ok := jsonName(t.Field(i)); ok {
				if err := sizes(v.Field(i), join(path, name)); err != nil {
					return err
				}
			}
		}
	case reflect.String:
		if v.Len() > maxRecordString {
			return &RecordError{path, fmt.Sprintf("is %d bytes long; the limit is %d", v.Len(), maxRecordString)}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			limit := maxRecordBytes
			if n, ok := bigByteFields[lastName(path)]; ok {
				limit = n
			}
			if v.Len() > limit {
				return &RecordError{path, fmt.Sprintf("holds %d bytes; the limit is %d", v.Len(), limit)}
			}
			return nil
		}
		if v.Len() > maxRecordItems {
			return &RecordError{path, fmt.Sprintf("has %d entries; the limit is %d", v.Len(), maxRecordItems)}
		}
		for i := 0; i < v.Len(); i++ {
			if err := sizes(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	switch name {
	case "-":
		return "", false
	case "":
		return f.Name, true
	}
	return name, true
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// lastName is the last field name of a path ("response" of
// "revocation.fetches[3].response").
func lastName(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.Index(path, "["); i >= 0 {
		path = path[:i]
	}
	return path
}
