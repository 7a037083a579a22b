package dial

import "time"

// SetExchangeTimeout sets exchangeTimeout for a test and returns the
// function that restores it.
func SetExchangeTimeout(d time.Duration) (restore func()) {
	old := exchangeTimeout
	exchangeTimeout = d
	return func() { exchangeTimeout = old }
}
