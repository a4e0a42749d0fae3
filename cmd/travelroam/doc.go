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
//	buy BUNDLE [--iccid ICCID] [--key KEY] [--journal PATH|DSN] [--dry-run] [--yes] [--no-wait] [--qr] [--qr-png FILE] [--max-wait D]
//	wait REFERENCE [--qr] [--qr-png FILE] [--max-wait D]
//	esim ICCID [--code] [--qr] [--qr-png FILE]
//	revoke ICCID [--dry-run] [--yes]
//	purchases [--recent] [--journal PATH|DSN]
//	purchases resolve KEY (--bought REFERENCE | --not-bought) [--yes] [--journal PATH|DSN]
//	balance [--below AMOUNT]
//	listen [--addr 127.0.0.1:8090] [--token T] [--signing-key-env VAR]
//	fake [--addr 127.0.0.1:8080] [--admin-addr 127.0.0.1:8081] [--env sandbox|live] [--assignment-delay D] …
//	doctor [--record DIR] [--iccid ICCID] [--order REFERENCE] [--bundle NAME] [--countries TR] [--strict]
//	completion bash|zsh|fish
//
// Every command takes -h, --json and --profile NAME. Flags may follow the
// arguments. Commands that call the API take --live.
//
// # The purchase journal
//
// buy records every attempt, before it is sent, in a purchase journal
// that outlives the shell: by default the SQLite file journal.db in the
// user's state directory ($XDG_STATE_HOME/travelroam, else
// ~/.local/state/travelroam; ~/Library/Application Support/travelroam on
// macOS, %LocalAppData%\travelroam on Windows); --journal PATH (or
// TRAVELROAM_JOURNAL, or a profile's journal) names another file, or a
// postgres:// connection string shares one PostgreSQL journal with the
// services (pgstore). The same store's purchase gate paces purchases, so
// two buys from two shells wait for each other. The directory is made 0700
// and the file and its companions (-wal, -shm) 0600.
//
// Each purchase has a key: --key KEY (your own id for it, e.g. the
// customer's order number), or a random one that buy prints on stderr
// ("Purchase key: cli-…") so that a retry can pass it. A buy whose key the
// journal already holds with an outcome that may have bought (pending,
// unknown, succeeded) is refused before anything is sent, with the
// earlier attempt shown, and exits 5: a shell loop, a cron job or ↑ Enter
// after a timeout cannot buy twice under one key.
//
// travelroam purchases lists the unfinished attempts of the account
// (pending: the process may have died; unknown: the answer was lost),
// oldest first; --recent lists the latest 20 attempts, whatever their
// outcome. After checking (travelroam esim ICCID for a top-up, the
// balance for a new eSIM), purchases resolve KEY --bought REFERENCE or
// --not-bought records the outcome through the SDK's ResolvePurchase,
// after a confirmation at a terminal (--yes otherwise); a key resolved as
// not bought may be bought again.
//
// # Dry runs
//
// buy --dry-run shows the quote, the balance after the purchase and the
// request that would be sent; revoke --dry-run shows the eSIM's state and
// bundles and the request. Nothing is sent or recorded, the exit status is
// 0, and neither --yes nor a terminal is needed.
//
// # Profiles
//
// $XDG_CONFIG_HOME/travelroam/config.toml (else ~/.config/travelroam/config.toml)
// keeps named accounts, chosen with --profile NAME, TRAVELROAM_PROFILE or
// the file's default. The file is refused when its group or others may
// read or write it (chmod 600). It is a small subset of TOML, read by the
// command line itself (no dependency): comments, [profiles.NAME] tables
// and key = "string" lines:
//
//	default = "acme"
//
//	[profiles.acme]
//	environment = "sandbox"            # or "live": as if every command had --live
//	api_key_env = "ACME_KEY"           # the variable that holds the API key
//	client_secret_env = "ACME_SECRET"
//
//	[profiles.client-b-live]
//	environment = "live"
//	api_key = "…"                      # or the value itself (the file is 0600)
//	client_secret = "…"
//	base_url = "https://proxy.example/api/whitelabel"  # optional
//	journal = "postgres://…"           # optional
//
// Environment variables win over the profile. Secrets are never a flag.
//
// # Shell completion
//
//	source <(travelroam completion bash)
//	travelroam completion zsh > "${fpath[1]}/_travelroam"
//	travelroam completion fish > ~/.config/fish/completions/travelroam.fish
//
// complete the commands, each command's flags and the profile names.
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
// and colour appear only when stderr is a terminal, NO_COLOR is unset and
// TERM is not "dumb"; otherwise the output is plain (no colour, no \r, no
// cursor moves).
//
// No text a server or a callback sends, nor an argument, can drive the
// terminal: every such string printed as text (stdout and stderr, every
// command, listen included) has its C0 and C1 control characters and DEL
// replaced by visible escapes (\x1b, \x0d, \u009b). --json output is exact
// (JSON escapes them).
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
//	TRAVELROAM_JOURNAL        the purchase journal (a file or a postgres:// DSN)
//	TRAVELROAM_PROFILE        the profile of the config file to use
//	TRAVELROAM_PURCHASE_INTERVAL  the least time between purchases (default 5s;
//	                          less only against a fake or a proxy)
//	NO_COLOR, TERM=dumb       no colour and no progress line
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
//	0    success (and a dry run; listen and fake stopped by Ctrl+C)
//	1    error (including "not confirmed", a failed doctor check)
//	2    usage: bad flags or arguments, a refusal of the command line (buy
//	     or revoke without --yes when stdin is not a terminal, live without
//	     --live), a config file others may read, or input the SDK refused
//	     before sending anything (*travelroam.ValidationError)
//	3    refused by the API: a 4xx answer (*travelroam.APIError), e.g. an
//	     unknown bundle or ICCID, insufficient balance
//	4    bad or missing credentials: unset, or a 401/403 answer to the
//	     command's first request
//	5    outcome unknown (*travelroam.OutcomeUnknownError), or a purchase key
//	     already attempted (*travelroam.AlreadyAttemptedError): do not retry;
//	     check first as the message says, then purchases resolve
//	6    the order exists and is paid, its installation data is not in hand
//	     (still pending, or whatever failed after the order: a 403, a late
//	     400, Ctrl+C): the message says "the order exists and is paid: do
//	     not buy again; travelroam wait REF". Never buy again
//	7    unavailable or rate-limited (travelroam.ErrUnavailable,
//	     travelroam.ErrRateLimited): nothing was done; try later
//	8    balance --below AMOUNT: the balance is under AMOUNT
//	130  interrupted (Ctrl+C, SIGINT or SIGTERM) before any order
//
// When several apply, the first of 6, 5, 130, 4 wins: once an order exists
// nothing else is reported, and a purchase whose answer was lost to
// Ctrl+C is 5 (it may have bought), not 130.
//
// # JSON output
//
// With --json every command writes JSON values, one per line (JSON Lines),
// on stdout; errors stay text on stderr. Amounts are JSON numbers with
// the exact digits the server sent, times RFC 3339 in UTC or null. The
// shapes, which only grow (new fields may be added), are:
//
//	balance    {"environment","balance","currency","testCredit","below"? (with --below)}
//	catalogue  [bundle, …]
//	bundle     {"name","description","dataMB","unlimited","days","price","countries":[ISO…],
//	            "roamingCountries"?,"speed"?,"autostart","groups"?,"billingType"?}
//	buy        {"kind":"order","environment","orderReference","bundle","topUpIccid"?,"status",
//	            "total","currency","iccids":[…]}  at once, then (unless --no-wait)
//	           the installation line of wait (taken from the purchase answer, without
//	           polling, when it already carries the installation data)
//	wait       {"kind":"installation","orderReference","esims":[{"iccid","profileStatus"?,
//	            "activationCode","smdpAddress","matchingId","appleInstallUrl","qrPng"?}]}
//	esim       {"iccid","profileStatus","firstInstalledAt","bundles":[{"name","description","state",
//	            "ended","data","initialBytes","remainingBytes","unlimited","startTime","endTime",
//	            "assignedAt","assignmentReference"}],"dataLeftBytes","unlimitedData",
//	            "location":{"networkBrandName","networkName","mobileNetworkCode","country","lastSeen"}|null,
//	            "installation"?: (an element of wait's "esims", with --code, --qr or --qr-png),
//	            "state"?: (eSIM Go v2.5's state when not Active, e.g. "Suspended"; the text
//	            output puts it first, in capitals)}
//	revoke     {"environment","iccid","revoked":true}
//	buy --dry-run     {"kind":"dryRun","environment","bundle","topUpIccid"?,"price","currency",
//	                   "balance"|null,"balanceAfter"|null,"request":{"method","url","body"}}
//	revoke --dry-run  {"kind":"dryRun","environment","iccid","profileStatus","bundles":[…as esim],
//	                   "request":{"method","url","body"}}
//	purchases  [{"key","account","environment","bundle","iccid"?,"startedAt","outcome",
//	            "reference"?,"finishedAt"}, …]
//	purchases resolve  {"key","outcome","reference"?}
//	listen     one line per event: {"receivedAt","iccid","alertType","bundle":{"name","description",
//	            "id","reference","initialQuantity","remainingQuantity","unit","unlimited",
//	            "startTime","endTime"},"remainingBytes"|null,"usedFraction"}; an account event
//	            (no ICCID: LowBalance, InsufficientBalance): {"receivedAt","account":true,
//	            "alertType","balanceInfo"?:{"balance","threshold","thresholdPercentRemaining"}}
//	fake       {"environment","baseURL","sandboxBaseURL","liveBaseURL","adminURL","env":{VAR: value}}
//	doctor     {"environment","baseURL","credentials":{"apiKeyLength","clientSecretLength",
//	            "looksLikeContract","accepted":true|false|null},"checks":[{"name","method","route",
//	            "guessed","called","skipped"?,"status"?,"contentType"?,"decoded","error"?,"note"?,
//	            "shape"?,"unexpectedFields","missingFields","mismatchedFields"?,"fixture"?,"ok"}],
//	            "recordDir"?,"ok"}
//
// Activation codes, matching IDs and the iPhone link are secrets: buy,
// wait and esim --code print them because that is what they are for; show
// them only to the eSIM's owner. QR code PNGs are written with mode 0600:
// into a new temporary file in the same directory, renamed over the path,
// so that an existing file or a planted symbolic link is replaced, never
// written through.
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
