// Package protocodec is a hurrah.Codec that stores protobuf messages with
// the protobuf wire format (proto.Marshal, proto.Unmarshal), so that
// Set[*structpb.Value] and Get[*structpb.Value], or those of any generated
// message, round-trip. Values that are not protobuf messages go through
// hurrah.CBORCodec, as in a store without a codec, so one store can hold
// both:
//
//	db, err := hurrah.Open(dir, &hurrah.Options{Codec: protocodec.Codec{}})
//	err = hurrah.Set(ctx, db, "v", structpb.NewStringValue("hi"))
//	v, err := hurrah.Get[*structpb.Value](ctx, db, "v")
//
// It is a module of its own, github.com/hurrahdb/hurrah/protocodec, so that
// the plain store does not depend on protobuf. CBOR and JSON cannot hold
// protobuf messages (their oneof fields are interfaces, and they keep
// internal state): hurrah's built-in codecs refuse them with ErrEncode.
//
// # What round-trips
//
//	Go type                              protocodec
//	*M, M a generated message            yes (compare with proto.Equal), unknown fields too
//	  oneofs, maps, repeated, nested     yes
//	  well-known types (structpb,        yes
//	  timestamppb, durationpb, anypb)
//	  proto3 string with invalid UTF-8   no: ErrEncode (proto.Marshal refuses it)
//	nil *M                               no: reads back as an empty message
//	M held by value (not a pointer)      no: ErrEncode (store a *M)
//	any other Go value                   as hurrah.CBORCodec (see hurrah.Codec)
//	a struct holding a message           no: stored as CBOR, ErrDecode at Get
//
// Messages are encoded deterministically (proto.MarshalOptions
// Deterministic), so equal messages encode alike within one binary and
// CompareAndSwap works on them; protobuf promises no more than that.
//
// A hurrah.Batch for such a store needs the codec too:
// hurrah.Batch{Codec: protocodec.Codec{}}.
package protocodec
