package travelroam

import "sync"

// The retry budget is AWS's standard retry quota: one bucket per Client,
// shared by all its reads, so that an outage cannot multiply the traffic.
const (
	retryBudgetCapacity = 500 // tokens in a full bucket
	retryCost           = 5   // taken by a retry
	retryTimeoutCost    = 10  // taken by a retry after a timeout
	noRetryRefund       = 1   // given back by a success at the first attempt
)

// retryBudget is a token bucket. A retry takes retryCost tokens
// (retryTimeoutCost after a timeout); when the bucket cannot pay, reads
// make one attempt and fail fast. A read that succeeds at its first
// attempt puts noRetryRefund back; one that succeeds after retries gives
// back the cost of its last retry, as AWS does. It never holds more than
// retryBudgetCapacity.
type retryBudget struct {
	mu     sync.Mutex
	tokens int
}

func newRetryBudget() *retryBudget { return &retryBudget{tokens: retryBudgetCapacity} }

// take withdraws cost tokens; it takes nothing and returns false when
// fewer are left.
func (b *retryBudget) take(cost int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// settle refunds a successful read.
func (b *retryBudget) settle(info *callInfo) {
	n := noRetryRefund
	if info.retries > 0 {
		n = info.lastCost
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.tokens+n, retryBudgetCapacity)
}
