package main

import "github.com/roamkit/travelroam"

// orderWaitOptions lets the wait after a purchase use the installation
// data the purchase answer already carries (travelroam.WithOrder): it
// then polls only when some is missing.
func orderWaitOptions(order *travelroam.Order) []travelroam.CallOption {
	return []travelroam.CallOption{travelroam.WithOrder(order)}
}
