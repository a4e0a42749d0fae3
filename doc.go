// Package travelroam is a typed client for the Travel Roam eSIM reseller
// ("white-label") API: browse the catalogue of data bundles, buy an eSIM
// or top one up, wait for its installation data, hand the traveller a QR
// code or an iPhone one-click link, show the data left, react to usage
// callbacks and watch the wallet balance.
//
// Create one [Client] and reuse it:
//
//	c, err := travelroam.NewClient(apiKey, clientSecret) // Sandbox by default; WithBaseURL(travelroam.LiveURL) for real money
//	if err != nil { … }
//	org, err := c.Organisation(ctx)
//	fmt.Println(org.Balance, org.Currency)
//
// # Money is safe
//
// Purchases ([Client.ProcessOrder]) are paced (one at a time, 5 s apart, as
// Travel Roam asks) and never re-sent once their bytes may have reached the
// server. When the SDK cannot know whether an order was made, it says so
// with an [*OutcomeUnknownError] instead of guessing. Reads are retried
// with capped, jittered backoff and honour Retry-After.
//
// # Errors
//
// Server answers other than 2xx are [*APIError] values carrying the
// status, the server's message, Retry-After and the raw body. Match them
// with [errors.Is] against [ErrUnauthorized], [ErrNotFound],
// [ErrRateLimited] and [ErrUnavailable]. Input the SDK refuses before
// sending anything is a [*ValidationError]; the other typed errors
// ([*OutcomeUnknownError], [*AlreadyAttemptedError],
// [*AssignmentsPendingError], [*CallbackError], [*DecodeError]) are
// matched with [errors.As].
//
// # Privacy
//
// The SDK never logs or puts in an error string the API key, the client
// secret, an activation code or a full ICCID. It logs nothing unless given
// a logger with [WithLogger]. The values it returns protect themselves:
// every secret (matching ID, PIN, PUK, installation link, raw body,
// contact details) is held in a [Secret] and every ICCID in an [ICCID],
// which print masked with every fmt verb, in slog and in JSON, so that a
// value or an error can be logged whole; [Secret.Reveal] reads a secret.
package travelroam
