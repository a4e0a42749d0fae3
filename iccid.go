package travelroam

// checkICCID returns a [*ValidationError] unless iccid is 18 to 22 ASCII
// digits, the form of every ICCID Travel Roam issues.
func checkICCID(op string, iccid ICCID) error {
	switch {
	case iccid == "":
		return invalid(op, "ICCID", "empty: pass the eSIM's ICCID (18 to 22 digits)")
	case len(iccid) < 18 || len(iccid) > 22:
		return invalid(op, "ICCID", "has %d characters, want 18 to 22 digits", len(iccid))
	}
	for i := 0; i < len(iccid); i++ {
		if iccid[i] < '0' || iccid[i] > '9' {
			return invalid(op, "ICCID", "contains a non-digit at position %d, want 18 to 22 digits", i+1)
		}
	}
	return nil
}
