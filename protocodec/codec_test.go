package protocodec_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/protocodec"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// open opens a store with the protobuf codec, in dir (or in memory), and
// closes it when the test ends.
func open(t *testing.T, dir string) *hurrah.DB {
	t.Helper()
	db, err := hurrah.Open(dir, &hurrah.Options{Codec: protocodec.Codec{}})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// tripMsg stores m and reads it back as an M, and checks they are equal.
func tripMsg[M proto.Message](t *testing.T, db *hurrah.DB, m M) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, hurrah.Set(ctx, db, "k", m))
	got, err := hurrah.Get[M](ctx, db, "k")
	require.NoError(t, err)
	require.True(t, proto.Equal(m, got), "stored %v, read %v", m, got)
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	require.NoError(t, err)
	return s
}

// withUnknown returns an Empty that holds the fields of a Timestamp as
// unknown fields.
func withUnknown(t *testing.T) *emptypb.Empty {
	b, err := proto.Marshal(timestamppb.New(time.Unix(1, 2)))
	require.NoError(t, err)
	e := new(emptypb.Empty)
	require.NoError(t, proto.Unmarshal(b, e))
	require.NotEmpty(t, e.ProtoReflect().GetUnknown())
	return e
}

// TestMessagesRoundTrip checks the "yes" rows of the package's table.
func TestMessagesRoundTrip(t *testing.T) {
	for _, dir := range []string{"", filepath.Join(t.TempDir(), "db")} {
		db := open(t, dir)
		t.Run("oneof kinds", func(t *testing.T) {
			for _, v := range []*structpb.Value{
				structpb.NewStringValue("hi"), structpb.NewNumberValue(1.5), structpb.NewBoolValue(true),
				structpb.NewNullValue(), structpb.NewStructValue(mustStruct(t, map[string]any{"a": 1.0})),
				structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("x")}}),
			} {
				tripMsg(t, db, v)
			}
		})
		t.Run("maps, repeated, nested", func(t *testing.T) {
			tripMsg(t, db, mustStruct(t, map[string]any{
				"b": []any{"x", 2.0, map[string]any{"c": true}}, "a": nil, "z": "y",
			}))
		})
		t.Run("well-known types", func(t *testing.T) {
			tripMsg(t, db, timestamppb.New(time.Date(2026, 12, 2, 20, 0, 0, 5, time.UTC)))
			tripMsg(t, db, durationpb.New(-90*time.Second))
			tripMsg(t, db, wrapperspb.Bytes([]byte{0, 1}))
			a, err := anypb.New(structpb.NewStringValue("inside"))
			require.NoError(t, err)
			tripMsg(t, db, a)
		})
		t.Run("unknown fields", func(t *testing.T) { tripMsg(t, db, withUnknown(t)) })
		t.Run("empty message (no bytes)", func(t *testing.T) { tripMsg(t, db, &emptypb.Empty{}) })
		require.NoError(t, db.Close())
	}
}

// TestNotRoundTripping checks the "no" rows of the package's table.
func TestNotRoundTripping(t *testing.T) {
	ctx := t.Context()
	db := open(t, "")

	err := hurrah.Set(ctx, db, "k", structpb.NewStringValue("a\xffb"))
	require.ErrorIs(t, err, hurrah.ErrEncode, "proto3 strings must be UTF-8")

	require.NoError(t, hurrah.Set(ctx, db, "nil", (*structpb.Value)(nil)))
	got, err := hurrah.Get[*structpb.Value](ctx, db, "nil")
	require.NoError(t, err)
	require.NotNil(t, got, "a nil message reads back as an empty one")
	require.True(t, proto.Equal(&structpb.Value{}, got))

	// A message by value (vet rightly forbids writing the copy out).
	byValue := reflect.ValueOf(structpb.NewBoolValue(true)).Elem().Interface()
	_, err = protocodec.Codec{}.Marshal(byValue)
	require.ErrorIs(t, err, protocodec.ErrByValue)
}

// TestOtherValuesAsCBOR: values that are not messages are stored exactly
// as hurrah.CBORCodec stores them, and read back.
func TestOtherValuesAsCBOR(t *testing.T) {
	ctx := t.Context()
	db := open(t, "")
	type pt struct{ X, Y int }
	require.NoError(t, hurrah.Set(ctx, db, "p", pt{1, 2}))
	raw, err := db.GetBytes(ctx, "p")
	require.NoError(t, err)
	want, err := hurrah.CBORCodec{}.Marshal(pt{1, 2})
	require.NoError(t, err)
	require.Equal(t, want, raw)
	got, err := hurrah.Get[pt](ctx, db, "p")
	require.NoError(t, err)
	require.Equal(t, pt{1, 2}, got)
	require.ErrorIs(t, hurrah.Set(ctx, db, "c", make(chan int)), hurrah.ErrEncode)
}

// TestBuiltinCodecsRefuseMessages: the trap this module exists for. With
// the default codec (or JSON), Set of a protobuf message used to succeed
// and its Get to fail; now Set fails, names this module and stores nothing.
func TestBuiltinCodecsRefuseMessages(t *testing.T) {
	ctx := t.Context()
	for _, c := range []hurrah.Codec{nil, hurrah.JSONCodec{}} {
		db, err := hurrah.Open("", &hurrah.Options{Codec: c})
		require.NoError(t, err)
		err = hurrah.Set(ctx, db, "k", structpb.NewStringValue("hi"))
		require.ErrorIs(t, err, hurrah.ErrEncode)
		require.ErrorContains(t, err, "protocodec")
		_, err = db.GetBytes(ctx, "k")
		require.ErrorIs(t, err, hurrah.ErrNotFound)
		require.NoError(t, db.Close())
	}
}

// TestTypedCalls: the other typed calls go through the codec too.
func TestTypedCalls(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "db"))
	a, b := structpb.NewNumberValue(1), structpb.NewNumberValue(2)
	ok, err := hurrah.SetIfAbsent(ctx, db, "k", a)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = hurrah.CompareAndSwap(ctx, db, "k", structpb.NewNumberValue(1), b)
	require.NoError(t, err)
	require.True(t, ok, "equal messages encode alike")
	require.NoError(t, db.Update(ctx, func(tx *hurrah.Tx) error {
		got, err := hurrah.TxGet[*structpb.Value](tx, "k")
		require.NoError(t, err)
		require.True(t, proto.Equal(b, got))
		return hurrah.TxSet(tx, "tx", a)
	}))
	batch := hurrah.Batch{Codec: protocodec.Codec{}}
	require.NoError(t, hurrah.BatchSet(&batch, "batch", b))
	require.NoError(t, db.Write(ctx, &batch))
	v, err := db.View(ctx)
	require.NoError(t, err)
	defer v.Close()
	for key, want := range map[string]*structpb.Value{"k": b, "tx": a, "batch": b} {
		got, err := hurrah.ViewGet[*structpb.Value](v, key)
		require.NoError(t, err)
		require.True(t, proto.Equal(want, got), key)
	}
}

// TestUnmarshalIntoMessage: Unmarshal also fills a message passed itself.
func TestUnmarshalIntoMessage(t *testing.T) {
	b, err := protocodec.Codec{}.Marshal(structpb.NewStringValue("hi"))
	require.NoError(t, err)
	var v structpb.Value
	require.NoError(t, protocodec.Codec{}.Unmarshal(b, &v))
	require.Equal(t, "hi", v.GetStringValue())
	require.Error(t, protocodec.Codec{}.Unmarshal([]byte{0xff}, &v))
}

// TestNestedMessageNotDetected: the documented limit of the built-in
// codecs' refusal. A message inside a struct is stored, and its Get fails
// with ErrDecode; with this codec the struct goes to CBOR and fails alike.
func TestNestedMessageNotDetected(t *testing.T) {
	ctx := t.Context()
	type holder struct{ V *structpb.Value }
	for _, c := range []hurrah.Codec{nil, protocodec.Codec{}} {
		db, err := hurrah.Open("", &hurrah.Options{Codec: c})
		require.NoError(t, err)
		require.NoError(t, hurrah.Set(ctx, db, "k", holder{structpb.NewStringValue("hi")}))
		_, err = hurrah.Get[holder](ctx, db, "k")
		require.ErrorIs(t, err, hurrah.ErrDecode)
		require.NoError(t, db.Close())
	}
}
