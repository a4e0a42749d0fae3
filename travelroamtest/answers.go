package travelroamtest

import (
	"bytes"
	"encoding/json"
)

// shapeOrder renders an order answer in the shape a (a top-up answered
// with [OrderAnswerApplyReference] never comes here); every shape but
// [OrderAnswerCompleted] goes through a generic map (whose keys encode in
// sorted order).
func shapeOrder(o orderJSON, a OrderAnswer) any {
	if a == OrderAnswerCompleted || a == OrderAnswerApplyReference { // a new eSIM: the usual answer
		return o
	}
	m := genericObject(o)
	lines, _ := m["order"].([]any)
	eachLine := func(fn func(line map[string]any)) {
		for _, l := range lines {
			if line, isObject := l.(map[string]any); isObject {
				fn(line)
			}
		}
	}
	switch a {
	case OrderAnswerStatusTrueData:
		return map[string]any{"status": true, "message": "Order processed successfully", "data": m}
	case OrderAnswerResultWrapper:
		return map[string]any{"success": true, "result": m}
	case OrderAnswerNoReference:
		delete(m, "orderReference")
	case OrderAnswerNumericReference:
		m["orderReference"] = json.Number(o.OrderReference)
	case OrderAnswerTotalObject:
		m["total"] = map[string]any{"amount": m["total"], "currency": o.Currency}
	case OrderAnswerStringScalars:
		m["assigned"] = boolDigit(o.Assigned)
		m["unlimited"] = boolWord(o.Unlimited)
		m["total"] = numberString(m["total"])
		eachLine(func(line map[string]any) {
			for _, k := range []string{"quantity", "subTotal", "pricePerUnit"} {
				line[k] = numberString(line[k])
			}
			if iccids, _ := line["iccids"].([]any); len(iccids) == 1 {
				line["iccids"] = iccids[0] // a list of one sent as the value
			}
		})
	case OrderAnswerNumericICCID:
		eachLine(func(line map[string]any) {
			iccids, _ := line["iccids"].([]any)
			for i, v := range iccids {
				iccids[i] = numberOf(v)
			}
			esims, _ := line["esims"].([]any)
			for _, v := range esims {
				if esim, isObject := v.(map[string]any); isObject {
					esim["iccid"] = numberOf(esim["iccid"])
				}
			}
		})
	}
	return m
}

// genericObject turns v into a map with json.Number numbers (exact).
func genericObject(v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		panic("travelroamtest: encoding an order: " + err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		panic("travelroamtest: decoding an order: " + err.Error())
	}
	return m
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func boolWord(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// numberString turns a json.Number into its string; other values pass.
func numberString(v any) any {
	if n, isNumber := v.(json.Number); isNumber {
		return n.String()
	}
	return v
}

// numberOf turns a string of digits into a JSON number of the same digits.
func numberOf(v any) any {
	if s, isString := v.(string); isString && s != "" {
		return json.Number(s)
	}
	return v
}
