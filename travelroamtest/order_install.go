package travelroamtest

// WithOrderInstallationData makes the answer to the purchase of a new
// eSIM carry its installation data at once, in order[].esims[] (iccid,
// matchingId, smdpAddress), as a captured eSIM Go order answer does. Off
// by default: the answer then names the eSIM with empty installation
// data, and /getesimassignments stays "processing" for the assignment
// delay either way, so that tests of polling keep working. Top-ups never
// carry it (the eSIM is installed already).
func WithOrderInstallationData() Option {
	return func(c *config) { c.orderInstallData = true }
}

// withInstallationData fills the answer's eSIM with its installation
// data when [WithOrderInstallationData] is on and the order is a new
// eSIM's. The caller holds s.mu.
func (s *Server) withInstallationData(out orderJSON, e *esim, o *order) orderJSON {
	if !s.cfg.orderInstallData || o.TopUp {
		return out
	}
	for i := range out.Order {
		for j := range out.Order[i].ESIMs {
			if out.Order[i].ESIMs[j].ICCID == e.iccid {
				out.Order[i].ESIMs[j].MatchingID, out.Order[i].ESIMs[j].SMDPAddress = e.matchingID, SMDPAddress
			}
		}
	}
	return out
}
