package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKeysGetDump runs the commands that read keys and values on a store
// holding every kind of value they show differently.
func TestKeysGetDump(t *testing.T) {
	dir := kvStore(t)
	before := image(t, dir)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", dir}, `"bin\xffkey"
count
empty
ids
raw
two words
user:1
user:2
`},
		{[]string{"keys", dir, "user:"}, "user:1\nuser:2\n"},
		{[]string{"keys", dir, "nothing"}, ""},
		{[]string{"keys", "-json", dir, "b"}, `{"key_base64":"Ymlu/2tleQ=="}` + "\n"},
		{[]string{"dump", dir}, `"bin\xffkey" = base64:/w==
count = 42
empty = base64:
ids = base64:oQFheA==
raw = base64:aGVsbG8=
two words = null
user:1 = base64:pGNBZ2UYHmROYW1lZ0FubiA8Jj5kVGFnc4FhYWVTaW5jZcB0MjAyNi0wMS0wMlQwMzowNDowNVo=
user:2 = {"Age":0,"Name":"Bo","Tags":null,"Since":null}
`},
		{[]string{"dump", dir, "-json"}, `{"key_base64":"Ymlu/2tleQ==","value_base64":"/w=="}
{"key":"count","value":42}
{"key":"empty","value_base64":""}
{"key":"ids","value_base64":"oQFheA=="}
{"key":"raw","value_base64":"aGVsbG8="}
{"key":"two words","value":null}
{"key":"user:1","value_base64":"pGNBZ2UYHmROYW1lZ0FubiA8Jj5kVGFnc4FhYWVTaW5jZcB0MjAyNi0wMS0wMlQwMzowNDowNVo="}
{"key":"user:2","value":{"Age":0,"Name":"Bo","Tags":null,"Since":null}}
`},
		{[]string{"dump", dir, "c"}, "count = 42\n"},
		{[]string{"get", dir, "user:2"}, `{"Age":0,"Name":"Bo","Tags":null,"Since":null}` + "\n"},
		{[]string{"get", dir, "user:1"}, "base64:pGNBZ2UYHmROYW1lZ0FubiA8Jj5kVGFnc4FhYWVTaW5jZcB0MjAyNi0wMS0wMlQwMzowNDowNVo=\n"}, // a time.Time: a CBOR tag
		{[]string{"get", dir, "raw"}, "base64:aGVsbG8=\n"},
		{[]string{"get", dir, "raw", "-raw"}, "hello"},
		{[]string{"get", dir, "bin\xffkey", "-raw"}, "\xff"},
		{[]string{"get", "-json", dir, "count"}, `{"key":"count","value":42}` + "\n"},
		{[]string{"get", "-json", dir, "empty"}, `{"key":"empty","value_base64":""}` + "\n"},
		{[]string{"get", dir, "--", "two words"}, "null\n"},
	} {
		status, out, errOut := runT(tt.args...)
		require.Equal(t, exitOK, status, "%q: %s", tt.args, errOut)
		require.Empty(t, errOut, "%q: nothing on stderr off a terminal", tt.args)
		require.Equal(t, tt.want, out, "%q", tt.args)
	}
	require.Equal(t, before, image(t, dir), "reading changes nothing")

	// Every -json line parses.
	_, out, _ := runT("dump", "-json", dir)
	for _, l := range lines(out) {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &e), l)
	}
}

func TestGetErrors(t *testing.T) {
	dir := kvStore(t)
	for _, tt := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"get", dir, "nope"}, exitNotFound, "hurrah get: no key \"nope\" in " + dir + "\n"},
		{[]string{"get", dir, "--", "-nope"}, exitNotFound, "hurrah get: no key \"-nope\" in " + dir + "\n"},
		{[]string{"get", dir, "raw", "-raw", "-json"}, exitError, "hurrah get: -raw and -json: choose one\n"},
		{[]string{"get", dir}, exitError, "usage: hurrah get DIR KEY [-raw] [-json]\n"},
		{[]string{"get", dir, ""}, exitError, "usage: hurrah get DIR KEY [-raw] [-json]\n"},
		{[]string{"get", dir, "a", "b"}, exitError, "usage: hurrah get DIR KEY [-raw] [-json]\n"},
		{[]string{"keys", dir, "a", "b"}, exitError, "usage: hurrah keys DIR [PREFIX] [-json]\n"},
		{[]string{"dump"}, exitError, "usage: hurrah dump DIR [PREFIX] [-json]\n"},
	} {
		status, out, errOut := runT(tt.args...)
		require.Equal(t, tt.status, status, "%q", tt.args)
		require.Empty(t, out, "%q", tt.args)
		require.Equal(t, tt.want, lines(errOut)[0]+"\n", "%q", tt.args)
	}
}

// TestReadCutsTornTail: the commands that read a store open it as Open
// does, so they cut a torn tail and set its bytes aside.
func TestReadCutsTornTail(t *testing.T) {
	dir, segs := newStore(t, 60)
	last := segs[len(segs)-1]
	f, err := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("torn"))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	status, out, errOut := runT("keys", dir, "k5")
	require.Equal(t, exitOK, status, errOut)
	require.Equal(t, "k5\nk50\nk51\nk52\nk53\nk54\nk55\nk56\nk57\nk58\nk59\n", out)
	torn, err := filepath.Glob(last + ".*.torn")
	require.NoError(t, err)
	require.Len(t, torn, 1)
	b, err := os.ReadFile(torn[0])
	require.NoError(t, err)
	require.Equal(t, "torn", string(b))
}
