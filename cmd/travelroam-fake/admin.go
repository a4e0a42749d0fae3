package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/roamkit/travelroam/travelroamtest"
)

// adminRequest is the JSON body of every admin route; each route reads
// the fields it needs.
type adminRequest struct {
	ICCID             string `json:"iccid"`
	Bytes             int64  `json:"bytes"`
	OrderReference    string `json:"orderReference"`
	Env               string `json:"env"`
	Cents             int64  `json:"cents"`
	MobileNetworkCode string `json:"mobileNetworkCode"`
	NetworkName       string `json:"networkName"`
	NetworkBrandName  string `json:"networkBrandName"`
	Country           string `json:"country"`
}

// adminHandler drives the fake's test hooks over HTTP, so that a client
// in another language (or curl) can install eSIMs, consume data (which
// sends the usage callbacks), and so on.
func adminHandler(srv *travelroamtest.Server) http.Handler {
	mux := http.NewServeMux()
	hook := func(path string, fn func(r *http.Request, a adminRequest) error) {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
			var a adminRequest
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&a); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "body must be a JSON object"})
				return
			}
			if err := fn(r, a); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		})
	}
	hook("/consume", func(r *http.Request, a adminRequest) error { return srv.ConsumeData(r.Context(), a.ICCID, a.Bytes) })
	hook("/install", func(_ *http.Request, a adminRequest) error { return srv.InstallESIM(a.ICCID) })
	hook("/expire", func(_ *http.Request, a adminRequest) error { return srv.ExpireBundles(a.ICCID) })
	hook("/location", func(_ *http.Request, a adminRequest) error {
		return srv.SetLocation(a.ICCID, travelroamtest.Location{
			MobileNetworkCode: a.MobileNetworkCode, NetworkName: a.NetworkName,
			NetworkBrandName: a.NetworkBrandName, Country: a.Country,
		})
	})
	hook("/ready", func(_ *http.Request, a adminRequest) error {
		if a.OrderReference == "" {
			srv.MakeAssignmentsReady()
		} else {
			srv.MakeAssignmentsReady(a.OrderReference)
		}
		return nil
	})
	hook("/balance", func(_ *http.Request, a adminRequest) error {
		env := travelroamtest.Environment(a.Env)
		if (env != travelroamtest.Sandbox && env != travelroamtest.Live) || a.Cents < 0 {
			return errors.New(`env must be "sandbox" or "live" and cents not negative`)
		}
		srv.SetBalance(env, a.Cents)
		return nil
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, ordersView(srv.Orders()))
	})
	return mux
}

type orderView struct {
	Reference   string    `json:"reference"`
	Environment string    `json:"environment"`
	BundleName  string    `json:"bundleName"`
	ICCID       string    `json:"iccid"`
	TopUp       bool      `json:"topUp"`
	PriceCents  int64     `json:"priceCents"`
	CreatedAt   time.Time `json:"createdAt"`
}

func ordersView(orders []travelroamtest.Order) []orderView {
	out := make([]orderView, 0, len(orders))
	for _, o := range orders {
		out = append(out, orderView{
			Reference: o.Reference, Environment: string(o.Environment), BundleName: o.BundleName,
			ICCID: o.ICCID, TopUp: o.TopUp, PriceCents: o.PriceCents, CreatedAt: o.CreatedAt,
		})
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
