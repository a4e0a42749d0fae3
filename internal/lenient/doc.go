// Package lenient holds the SDK's one set of rules for reading the JSON
// scalars that the sources of the Travel Roam API disagree about (an
// ICCID sent as a number, a count sent as "7" or 7.0, a flag sent as
// "true"). Every decoder of the SDK uses these types; none has rules of
// its own.
//
// The rules, by Go target:
//
//	| Go target     | Accepted on the wire                                                          |
//	|---------------|-------------------------------------------------------------------------------|
//	| string        | a string; a number (its digits kept exactly, e.g. an ICCID); null gives ""   |
//	| bool          | true/false, "true"/"false" (any case), 1/0, "1"/"0"; null gives false         |
//	| integer       | an integer; a decimal with a zero fraction (1000.0); a numeric string of      |
//	|               | either form ("7", "7.0"); null gives 0                                        |
//	| money/decimal | a number or a numeric string, kept as an exact decimal; null gives 0          |
//	| time          | milliseconds since the epoch as a number or a numeric string (integer rule); |
//	|               | RFC 3339 with any fraction; "", 0 and null give the zero time                 |
//	| list          | a list; a single value gives a one-element list; null gives an empty list     |
//
// [String], [Bool], [Int], [Decimal], [Time], [List] and [Strings] (a
// list of strings) implement them. A quantity that may carry a fraction
// (a callback's megabytes) is a [Decimal]; the caller decides the unit.
//
// Details that the table leaves open, decided once here:
//   - A numeric string may have white space around it, a sign, and an
//     exponent ("1e3"); so may "true" and "false". A string is otherwise
//     kept exactly as sent (no trimming).
//   - An integer must fit in an int64; a decimal in 19 significant digits
//     with at most 18 after the point. An exponent is read exactly: 1e3
//     is the integer 1000.
//   - A number is never read as seconds: milliseconds only.
//   - "yes", "no", "" (outside a time) and any other form are outside
//     the rules.
//
// A value outside the rules is an [*Error] that says what was wanted and
// never holds the value (it may be an ICCID, a matching ID or a code).
// Decoded through [Unmarshal], it becomes a [*FieldError] that also
// names the member, e.g. "duration": want an integer. [Fields] decodes an
// object member by member and leaves a member outside the rules at zero:
// the purchase answer and the organisation's details use it, so that one
// odd field never hides an order reference or a balance.
//
// Every type decodes with encoding/json (UnmarshalJSON) and with the JSON
// v2 engine's streaming interface (UnmarshalJSONFrom), with the same
// result. [Options] are the v2 engine's options that reproduce
// encoding/json's semantics.
package lenient
