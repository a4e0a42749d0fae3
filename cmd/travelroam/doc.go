// Command travelroam is the Travel Roam eSIM reseller API from the command
// line, for the people who operate a reseller account: check the balance,
// look up bundles, buy or top up an eSIM, re-send a traveller's QR code,
// see an eSIM's data left, revoke a lost eSIM, watch usage callbacks, run
// a fake Travel Roam locally, and check the SDK against the real API.
//
//	go install github.com/roamkit/travelroam/cmd/travelroam@latest
//
// It is built on the SDK's public API only: every request goes through
// travelroam.Client (doctor watches the raw answers with a recording
// http.RoundTripper passed with travelroam.WithHTTPClient).
//
// # Commands
//
//	balance                      wallet balance and currency
//	catalogue (--countries GB,FR | --region Europe) [--all] [--sort price|data|days|name] [--page N] [--per-page N]
//	bundle NAME                  one bundle
//	buy BUNDLE [--iccid ICCID] [--yes] [--no-wait] [--qr] [--qr-png FILE] [--max-wait D]
//	wait REFERENCE [--qr] [--qr-png FILE] [--max-wait D]
//	esim ICCID [--code] [--qr] [--qr-png FILE]
//	revoke ICCID [--yes]
//	listen [--addr 127.0.0.1:8090] [--token T] [--signing-key-env VAR]
//	fake [--addr 127.0.0.1:8080] [--admin-addr 127.0.0.1:8081] [--env sandbox|live] [--assignment-delay D] …
//	doctor [--record DIR] [--iccid ICCID] [--order REFERENCE] [--bundle NAME] [--countries TR] [--strict]
//
// Every command takes -h, and --json. Flags may follow the arguments.
// Commands that call the API take --live.
//
// buy shows the bundle, its price and the balance on stderr first. When
// stdin is a terminal it asks "Buy it? [y/N]" (in the live environment:
// type the bundle name); otherwise it needs --yes, and --yes skips the
// question everywhere. It prints the order reference as soon as the order
// is made, then waits for the installation data like wait unless
// --no-wait. revoke looks the eSIM up, then asks for the ICCID's last four
// digits at a terminal, or needs --yes. doctor never buys and never
// revokes.
//
// Quotes, questions, hints and the progress line go to stderr; results to
// stdout. The progress line of wait and buy (attempt, elapsed, next poll)
// and colour appear only when stderr is a terminal and NO_COLOR is unset.
// catalogue prints aligned columns at a terminal and, when stdout is not
// a terminal, tab-separated values with the header
// "name data_mb days price unlimited" (data_mb is 0 for unlimited
// bundles).
//
// # Environment
//
//	TRAVELROAM_API_KEY, TRAVELROAM_CLIENT_SECRET  the credentials: required, never a flag, never printed
//	TRAVELROAM_BASE_URL       replaces the sandbox base URL (a fake or a proxy)
//	TRAVELROAM_LIVE_BASE_URL  replaces the live base URL; used with --live
//	NO_COLOR                  no colour and no progress line
//
// Commands use the sandbox unless --live is given. A TRAVELROAM_BASE_URL
// on Travel Roam's live host is refused without --live, and --live is
// refused when TRAVELROAM_BASE_URL is set but TRAVELROAM_LIVE_BASE_URL is
// not (the command will not guess where a proxy's live side is). Every
// output is filtered so that the API key and the client secret never
// appear, even when a server echoes them.
//
// # Exit status
//
//	0  success
//	1  error (including "not confirmed", a failed doctor check, Ctrl+C)
//	2  usage: bad flags or arguments, missing credentials, a refusal of the
//	   command line (buy or revoke without --yes when stdin is not a
//	   terminal, live without --live), or input the SDK refused before
//	   sending anything (ErrInvalidInput)
//	3  refused by the API: a 4xx answer (*travelroam.APIError), e.g. an
//	   unknown bundle or ICCID, insufficient balance, bad credentials
//	5  outcome unknown (travelroam.ErrOutcomeUnknown): a purchase or revoke
//	   may or may not have happened; do not retry, check first as the
//	   message says
//	6  installation data still pending (travelroam.ErrAssignmentsPending):
//	   the order exists; run wait again later, never buy again
//	7  unavailable or rate-limited (travelroam.ErrUnavailable,
//	   travelroam.ErrRateLimited): nothing was done; try later
//
// # JSON output
//
// With --json every command writes JSON values, one per line (JSON Lines),
// on stdout; errors stay text on stderr. Amounts are JSON numbers with
// the exact digits the server sent, times RFC 3339 in UTC or null. The
// shapes, which only grow (new fields may be added), are:
//
//	balance    {"environment","balance","currency","testCredit"}
//	catalogue  [bundle, …]
//	bundle     {"name","description","dataMB","unlimited","days","price","countries":[ISO…],
//	            "roamingCountries"?,"speed"?,"autostart","groups"?,"billingType"?}
//	buy        {"kind":"order","environment","orderReference","bundle","topUpIccid"?,"status",
//	            "total","currency","iccids":[…]}  at once, then (unless --no-wait)
//	           the installation line of wait
//	wait       {"kind":"installation","orderReference","esims":[{"iccid","profileStatus"?,
//	            "activationCode","smdpAddress","matchingId","appleInstallUrl","qrPng"?}]}
//	esim       {"iccid","profileStatus","firstInstalledAt","bundles":[{"name","description","state",
//	            "ended","data","initialBytes","remainingBytes","unlimited","startTime","endTime",
//	            "assignedAt","assignmentReference"}],"dataLeftBytes","unlimitedData",
//	            "location":{"networkBrandName","networkName","mobileNetworkCode","country","lastSeen"}|null,
//	            "installation"?: (an element of wait's "esims", with --code, --qr or --qr-png)}
//	revoke     {"environment","iccid","revoked":true}
//	listen     one line per event: {"receivedAt","iccid","alertType","bundle":{"name","description",
//	            "id","reference","initialQuantity","remainingQuantity","unit","unlimited",
//	            "startTime","endTime"},"remainingBytes"|null,"usedFraction"}
//	fake       {"environment","baseURL","sandboxBaseURL","liveBaseURL","adminURL","env":{VAR: value}}
//	doctor     {"environment","baseURL","credentials":{"apiKeyLength","clientSecretLength",
//	            "looksLikeContract","accepted":true|false|null},"checks":[{"name","method","route",
//	            "guessed","called","skipped"?,"status"?,"contentType"?,"decoded","error"?,"note"?,
//	            "shape"?,"unexpectedFields","missingFields","mismatchedFields"?,"fixture"?,"ok"}],
//	            "recordDir"?,"ok"}
//
// Activation codes, matching IDs and the iPhone link are secrets: buy,
// wait and esim --code print them because that is what they are for; show
// them only to the eSIM's owner. QR code PNGs are written with mode 0600.
//
// # doctor
//
// doctor checks the credentials and calls every read route once (no
// retries): the organisation (a guessed route), a catalogue page, a bundle,
// and with --iccid the eSIM's details, applied bundles and location, with
// --order the assignments. For each it reports the HTTP status, whether
// the SDK decoded the answer, and a strict comparison of the raw JSON keys
// with the fields the contract lists for the route: unexpected fields,
// missing fields, and envelopes ({"organisations": […]}, {"data": …}).
// Purchases and revokes are never sent; the revoke route is reported as
// guessed and not called. It fails (exit 1) when a called route did not
// answer 2xx or did not decode (a 4xx location of an eSIM never seen on a
// network and "not ready" assignments excepted); with --strict, also when
// fields differ. With --record DIR it writes each answer as DIR/<route>.json
// (.csv for a CSV answer, .txt for anything else) with an index.json,
// every file mode 0600 (DIR is made 0700), redacted by the SDK's redactor
// (internal/redact) by what each value is: under a sensitive key or CSV
// column in any spelling (matching_id, "Matching ID", PIN1…), or shaped
// like a secret whatever its key, object member names included. ICCIDs
// keep only their first two and last four digits, matching IDs,
// activation codes, SM-DP+ addresses, PIN and PUK are masked in shape,
// people's names, e-mails and phone numbers, the organisation's name and
// address, callback URLs and any occurrence of the credentials are
// replaced. Attach the directory to a bug report, or copy a file to
// testdata/.
//
// # fake
//
// fake serves the travelroamtest fake (the same server as the deprecated
// cmd/travelroam-fake) and prints the export lines that point travelroam
// at it. Its admin API drives the test hooks (POST /consume, /install,
// /location, /expire, /ready, /balance; GET /orders) and answers only
// local clients: a Host other than its own address is refused (DNS
// rebinding), so is a foreign Origin (a web page), and a POST must be
// Content-Type: application/json.
package main
