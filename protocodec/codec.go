package protocodec

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/hurrahdb/hurrah"
	"google.golang.org/protobuf/proto"
)

// Codec stores protobuf messages in the protobuf wire format and every
// other value as hurrah.CBORCodec does. The zero value is ready to use and
// safe for concurrent use.
type Codec struct{}

var _ hurrah.Codec = Codec{}

// Name returns "protobuf".
func (Codec) Name() string { return "protobuf" }

// ErrByValue is returned for a message held by value rather than by pointer.
var ErrByValue = errors.New("protocodec: a protobuf message held by value; store a pointer to it")

var messageType = reflect.TypeFor[proto.Message]()

// marshalOpts encodes maps in a fixed order, so equal messages encode alike.
var marshalOpts = proto.MarshalOptions{Deterministic: true}

// Marshal returns the wire encoding of a proto.Message and the CBOR
// encoding of any other value.
func (Codec) Marshal(v any) ([]byte, error) {
	if m, ok := v.(proto.Message); ok {
		return marshalOpts.Marshal(m)
	}
	if t := reflect.TypeOf(v); t != nil && reflect.PointerTo(t).Implements(messageType) {
		return nil, fmt.Errorf("%w: %v", ErrByValue, t)
	}
	return hurrah.CBORCodec{}.Marshal(v)
}

// Unmarshal decodes data into the value v points to: with proto.Unmarshal
// when that value is a message pointer (as for Get[*M]: a new message is
// made) or v itself is a message, and as hurrah.CBORCodec otherwise.
func (Codec) Unmarshal(data []byte, v any) error {
	if p := reflect.ValueOf(v); p.Kind() == reflect.Pointer && !p.IsNil() {
		if e := p.Elem(); e.Kind() == reflect.Pointer && e.Type().Implements(messageType) {
			m := reflect.New(e.Type().Elem())
			if err := proto.Unmarshal(data, m.Interface().(proto.Message)); err != nil {
				return err
			}
			e.Set(m)
			return nil
		}
	}
	if m, ok := v.(proto.Message); ok {
		return proto.Unmarshal(data, m)
	}
	return hurrah.CBORCodec{}.Unmarshal(data, v)
}
