package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Bounds on a targets file: it is read whole before anything connects.
const (
	maxTargetsFile = 16 << 20
	maxTargetLine  = 64 << 10
	maxTargets     = 100000
)

// targetLine is one target of a targets file: its words (the target and
// its per-target flags, split as a POSIX shell would) and where it was.
type targetLine struct {
	words  []string
	origin string // FILE:LINE
}

// readTargetsFile reads path ("-" is standard input): one target a line
// with its flags, '#' comments, blank lines.
func readTargetsFile(path string, env Env) ([]targetLine, error) {
	name := path
	var r io.Reader
	if path == "-" {
		name = "stdin"
		r = env.Stdin
		if r == nil {
			r = strings.NewReader("")
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, &inputError{err: fmt.Errorf("--targets: cannot read %s: %w", path, unwrapPath(err))}
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxTargetsFile+1))
	if err != nil {
		return nil, &inputError{err: fmt.Errorf("--targets: cannot read %s: %w", name, err)}
	}
	if len(data) > maxTargetsFile {
		return nil, &usageError{msg: fmt.Sprintf("--targets: %s is larger than %d MiB", name, maxTargetsFile>>20), hint: "split the list into several runs"}
	}
	var out []targetLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxTargetLine)
	n := 0
	for sc.Scan() {
		n++
		origin := fmt.Sprintf("%s:%d", name, n)
		words, err := splitWords(sc.Text())
		if err != nil {
			return nil, &usageError{msg: origin + ": " + err.Error(), hint: "a line is a target and its flags, quoted as in a shell: partner.example:8443 --sni 'api.partner.example'"}
		}
		if len(words) == 0 {
			continue
		}
		if len(out) == maxTargets {
			return nil, &usageError{msg: fmt.Sprintf("--targets: %s lists more than %d targets", name, maxTargets), hint: "split the list into several runs"}
		}
		out = append(out, targetLine{words: words, origin: origin})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &usageError{msg: fmt.Sprintf("%s:%d: line longer than %d KiB", name, n+1, maxTargetLine>>10), hint: "one target and its flags per line"}
		}
		return nil, &inputError{err: fmt.Errorf("--targets: %s: %w", name, err)}
	}
	return out, nil
}

// splitWords splits a line into words the way a POSIX shell does for
// quoting ('…', "…" with \" \\ \$ \`, and \ outside quotes), without any
// expansion; an unquoted '#' at the start of a word starts a comment.
// A $, ` or ( outside single quotes is refused rather than taken
// literally, since a shell would have expanded it.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			return words, nil
		case r == '\'':
			inWord = true
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j == len(rs) {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(string(rs[i+1 : j]))
			i = j
		case r == '"':
			inWord = true
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				switch {
				case rs[j] == '\\' && j+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[j+1]):
					j++
					cur.WriteRune(rs[j])
				case rs[j] == '$' || rs[j] == '`':
					return nil, fmt.Errorf("%q inside double quotes: tlsdoctor does not expand variables or commands; quote it with '…'", string(rs[j]))
				default:
					cur.WriteRune(rs[j])
				}
			}
			if j == len(rs) {
				return nil, errors.New("unterminated double quote")
			}
			i = j
		case r == '\\':
			inWord = true
			if i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
			}
		case strings.ContainsRune("$`|;&<>()", r):
			return nil, fmt.Errorf("%q: tlsdoctor does not run shell syntax (variables, commands, pipes, redirections); quote it with '…' if it is part of a value", string(r))
		default:
			inWord = true
			cur.WriteRune(r)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
