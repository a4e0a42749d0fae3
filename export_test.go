package travelroam

// SetMaxResponseBytes lowers the response size cap of c's reads, so that
// the reliability tests can prove the cap without streaming 128 MiB. It
// exists in test builds only.
func SetMaxResponseBytes(c *Client, n int64) { c.maxResponse = n }
