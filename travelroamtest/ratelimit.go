package travelroamtest

import (
	"net/http"
	"strconv"
	"time"
)

// eSIMGoRateLimit is eSIM Go's documented limit: 10 requests per second per
// IP (the X-Ratelimit-Limit of a [RateLimited] answer).
const eSIMGoRateLimit = 10

// rateLimitMessage is eSIM Go's 429 message.
const rateLimitMessage = "Rate limit exceeded"

// rateDecision is what the rate limiter says about one request: the
// headers to send, and whether the request is over the limit.
type rateDecision struct {
	header  http.Header
	limited bool
}

// countRate counts a request in the current one-second window of
// [WithRateLimit]. The caller holds s.mu.
func (s *Server) countRate(now time.Time) rateDecision {
	limit := s.cfg.rateLimit
	if limit == 0 {
		return rateDecision{}
	}
	if start := now.Truncate(time.Second); !start.Equal(s.window) {
		s.window, s.windowCount = start, 0
	}
	s.windowCount++
	remaining := max(limit-s.windowCount, 0)
	return rateDecision{
		header:  rateHeaders(limit, remaining, s.window.Add(time.Second)),
		limited: s.windowCount > limit,
	}
}

// rateHeaders are eSIM Go's rate limit headers.
func rateHeaders(limit, remaining int, reset time.Time) http.Header {
	return http.Header{
		"X-Ratelimit-Limit":     {strconv.Itoa(limit)},
		"X-Ratelimit-Remaining": {strconv.Itoa(remaining)},
		"X-Ratelimit-Reset":     {reset.UTC().Format(time.RFC3339)},
		"X-Ratelimit-Cost":      {"1"},
	}
}
