package identity

// CheckIterations fails when DER data (a PKCS#12 file, an encrypted
// PKCS#8 key) asks for more key-derivation iterations than tlsdoctor
// allows, so that a hostile file cannot hang whoever decrypts it. The
// inspect package runs it before decrypting.
func CheckIterations(der []byte) error { return checkIterations(der) }
