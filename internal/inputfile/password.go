package inputfile

import "strings"

// ReadPassword reads a password file the way openssl's -passin file: and
// keytool's -storepass:file read one: the password is the file's first
// line, without its line ending (a file without a newline is one line).
// The file is bounded by MaxPasswordFile.
func ReadPassword(path string) (string, error) {
	data, err := Read(path, MaxPasswordFile)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSuffix(line, "\r"), nil
}
