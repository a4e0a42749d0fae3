package travelroam

import "strings"

// This file takes installation data that a purchase answer already
// carries (order[].esims[] with a matching ID and an SM-DP+ address, as a
// captured eSIM Go order answer shows), so that WaitForAssignments need
// not poll for it.

// ReadyAssignments returns the installation data the purchase answer
// already carries: one [Assignment] per eSIM of the order's lines whose
// matching ID and SM-DP+ address are both set, in order, each ICCID once.
// It is empty when the answer carries none (the usual case right after a
// purchase): then [Client.WaitForAssignments] polls for it. Pass the order
// to WaitForAssignments with [WithOrder] to use it without polling.
//
// An assignment's Bundle is its line's item only for a line that names a
// bundle (type "bundle" or none): the item of a "bundleAssignment" line
// is an assignment reference, not a bundle name. Like every Assignment,
// the result prints without its matching ID.
func (o *Order) ReadyAssignments() []Assignment {
	if o == nil {
		return nil
	}
	var out []Assignment
	seen := map[string]bool{}
	for _, l := range o.Lines {
		for _, e := range l.ESIMs {
			a := Assignment{ICCID: ICCID(strings.TrimSpace(string(e.ICCID))), MatchingID: trimSecret(e.MatchingID),
				SMDPAddress: strings.TrimSpace(e.SMDPAddress), Bundle: l.bundleName()}
			if a.ICCID == "" || !a.ready() || seen[string(a.ICCID)] {
				continue
			}
			seen[string(a.ICCID)] = true
			out = append(out, a)
		}
	}
	return out
}

// bundleName is the bundle the line bought: its item, unless the line is
// not about a bundle (a "bundleAssignment" line's item is an assignment
// reference; other types are not known to name bundles).
func (l OrderLine) bundleName() string {
	if t := strings.TrimSpace(l.Type); t != "" && !strings.EqualFold(t, "bundle") {
		return ""
	}
	return strings.TrimSpace(l.Item)
}

// readyFromOrder returns the order's installation data when it covers
// every eSIM the order names, and false otherwise (nothing ready, or
// some eSIMs still without data: the poll answers for the whole order).
func readyFromOrder(o *Order) ([]Assignment, bool) {
	ready := o.ReadyAssignments()
	if len(ready) == 0 {
		return nil, false
	}
	have := make(map[string]bool, len(ready))
	for _, a := range ready {
		have[string(a.ICCID)] = true
	}
	for _, id := range o.ICCIDs() {
		if !have[strings.TrimSpace(string(id))] {
			return nil, false
		}
	}
	return ready, true
}

// WithOrder gives [Client.WaitForAssignments] the purchase's [Order]: when
// the answer already carried the installation data of every eSIM it names
// (see [Order.ReadyAssignments]), the wait returns it at once, without a
// request; otherwise it polls as usual (a poll answers for the whole
// order, so some eSIMs' data in the answer saves nothing). o must be the
// order whose reference is waited for; another one is a
// [*ValidationError]. A nil o is ignored.
func WithOrder(o *Order) CallOption {
	return func(c *callConfig) error {
		c.used |= kindWait
		c.wait.order = o
		return nil
	}
}
