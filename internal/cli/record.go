package cli

import (
	"errors"
	"fmt"

	"github.com/tlsdoctor/tlsdoctor/internal/inputfile"
	"github.com/tlsdoctor/tlsdoctor/probe"
)

// loadRecord reads and validates a record for diagnose --record.
func loadRecord(path string) (*probe.Record, error) {
	data, err := inputfile.Read(path, probe.MaxRecordSize)
	if err != nil {
		return nil, &inputError{err: fmt.Errorf("--record: cannot read %s: %w", path, err)}
	}
	rec, err := probe.DecodeRecord(data)
	if err != nil {
		ie := &inputError{err: fmt.Errorf("--record: %s is %w", path, err),
			hint: "give a file written by tlsdoctor --save-record FILE"}
		switch {
		case errors.Is(err, probe.ErrInvalidRecord):
			ie.hint = "the record was changed or damaged after tlsdoctor wrote it; record the server again with --save-record"
		case errors.Is(err, probe.ErrRecordVersion):
			ie.hint = "upgrade tlsdoctor to read it"
		}
		return nil, ie
	}
	return rec, nil
}
