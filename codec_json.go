package hurrah

import (
	"encoding/json"
	"fmt"
)

// JSONCodec stores typed values as JSON, with the standard library's
// encoding/json: readable by any tool, larger and slower than CBOR. Map
// keys are sorted, so equal values encode to equal bytes. See Codec for the
// types it round-trips: unlike CBOR it refuses NaN and infinities, replaces
// invalid UTF-8, and turns numbers read into an any into float64. It
// refuses protobuf messages with ErrEncode. Set it with
//
//	hurrah.Open(dir, &hurrah.Options{Codec: hurrah.JSONCodec{}})
type JSONCodec struct{}

// (JSONCodec's methods have CBORCodec's shape: two implementations of one
// interface, each calling its own library, not repeated logic.)

// Name returns "JSON".
func (JSONCodec) Name() string { return "JSON" }

// Marshal returns v's JSON encoding.
func (JSONCodec) Marshal(v any) ([]byte, error) {
	if err := refuseProto("JSON", v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err == nil && len(b) > maxJSONCodecDepth && !json.Valid(b) {
		// What json.Marshal writes is valid JSON, save for its depth.
		return nil, fmt.Errorf("a value nested deeper than %d arrays and objects cannot be read back by encoding/json", maxJSONCodecDepth)
	}
	return b, err
}

// maxJSONCodecDepth is how deeply nested arrays and objects encoding/json
// reads (and json.Valid accepts); it writes deeper ones all the same.
// Each level takes a byte at least, so a shorter encoding is not checked.
const maxJSONCodecDepth = 10000

// Unmarshal decodes JSON data into the value v points to.
func (JSONCodec) Unmarshal(data []byte, v any) error {
	return json.Unmarshal(data, v)
}

// wellFormed reports whether data is valid JSON, whatever its type.
func (JSONCodec) wellFormed(data []byte) bool { return json.Valid(data) }
