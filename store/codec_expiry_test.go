package store_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// TestCodecExpiryGolden pins the bytes of the expiry commands, as the
// table in codec_expiry.go gives them.
func TestCodecExpiryGolden(t *testing.T) {
	for want, c := range map[string]store.Command{
		"85 07 41 6b 41 76 f6 19 03e8":          {Op: store.OpSetAt, Key: "k", Value: []byte("v"), At: 1000},
		"85 08 41 6b f6 f6 00":                  {Op: store.OpExpireAt, Key: "k"},
		"85 08 41 6b f6 f6 3b 000000e8d4a50fff": {Op: store.OpExpireAt, Key: "k", At: -1_000_000_000_000},
		"84 09 40 f6 81 83 02 41 61 f6":         {Op: store.OpExpire, Batch: []store.Mutation{mdel("a")}},
		"84 04 40 f6 81 84 07 41 61 41 31 05":   bat(store.Mutation{Op: store.OpSetAt, Key: "a", Value: []byte("1"), At: 5}),
	} {
		b, err := store.EncodeCommand(c)
		require.NoError(t, err)
		require.Equal(t, strings.ReplaceAll(want, " ", ""), hex.EncodeToString(b))
		got, err := store.DecodeCommand(b)
		require.NoError(t, err)
		require.Equal(t, c, got)
	}
}
