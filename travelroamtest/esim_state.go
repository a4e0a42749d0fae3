package travelroamtest

import "fmt"

// eSIM states of /esims/details' "state" (eSIM Go v2.5).
const (
	// ESIMActive is the state of an eSIM in service (the default).
	ESIMActive = "Active"
	// ESIMSuspended is the state of a suspended eSIM: it keeps its
	// bundles and can be unsuspended ([Server.SetESIMState] with
	// ESIMActive).
	ESIMSuspended = "Suspended"
	// ESIMDeactivated is the state of a deactivated eSIM; its profile
	// status is then [ProfileDeactivated].
	ESIMDeactivated = "Deactivated"
)

func (e *esim) stateOrActive() string {
	if e.state == "" {
		return ESIMActive
	}
	return e.state
}

// SetESIMState sets the eSIM's state as eSIM Go v2.5 reports it in
// /esims/details: [ESIMActive], [ESIMSuspended] (suspend; ESIMActive
// unsuspends) or [ESIMDeactivated], which also sets the profile status to
// [ProfileDeactivated] and cannot be undone. Nothing else changes: the
// bundles stay, and the other routes answer as before. It returns
// [ErrUnknownICCID] or an error for another state.
func (s *Server) SetESIMState(iccid, state string) error {
	switch state {
	case ESIMActive, ESIMSuspended, ESIMDeactivated:
	default:
		return fmt.Errorf("travelroamtest: unknown eSIM state %q (want Active, Suspended or Deactivated)", state)
	}
	var bad error
	err := s.withESIM(iccid, func(e *esim) {
		if e.state == ESIMDeactivated && state != ESIMDeactivated {
			bad = fmt.Errorf("travelroamtest: eSIM %s is deactivated for good", redact(iccid))
			return
		}
		e.state = state
		if state == ESIMDeactivated {
			e.profileStatus = ProfileDeactivated
		}
	})
	if err != nil {
		return err
	}
	return bad
}
