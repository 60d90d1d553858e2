package reliability

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

// The model porcupine checks linearizability_test.go's histories against,
// and a test that it can fail.

// linOp is the kind of a recorded call.
type linOp uint8

const (
	linGet linOp = iota
	linSet
	linDelete
	linCAS
)

// linInput is a call's input. Values are unique per write, so a read names
// the one write it saw.
type linInput struct {
	op  linOp
	key string
	val string // linSet, linCAS: the new value
	old string // linCAS: the value expected
}

// linOutput is a call's output.
type linOutput struct {
	found   bool   // linGet: key present; linDelete: key existed; linCAS: swapped
	val     string // linGet: the value read
	unknown bool   // a write that returned an error: it may or may not have happened
}

// linState is the model's state of one key (the model is partitioned by
// key). It is comparable, so porcupine's default == equality serves.
type linState struct {
	present bool
	val     string
}

// linModel is a sequential key-value store, one key per partition.
var linModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(linInput).key
			byKey[k] = append(byKey[k], op)
		}
		var parts [][]porcupine.Operation
		for _, k := range slices.Sorted(maps.Keys(byKey)) {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init: func() any { return linState{} },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(linState), input.(linInput), output.(linOutput)
		switch in.op {
		case linGet:
			return out.found == st.present && out.val == st.val, st
		case linSet:
			return true, linState{present: true, val: in.val}
		case linDelete:
			return out.unknown || out.found == st.present, linState{}
		case linCAS:
			swap := st.present && st.val == in.old
			if swap {
				return out.unknown || out.found, linState{present: true, val: in.val}
			}
			return out.unknown || !out.found, st
		}
		return false, st
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		var s string
		switch in.op {
		case linGet:
			s = fmt.Sprintf("get(%s) -> ", in.key)
			if out.found {
				s += strconv.Quote(out.val)
			} else {
				s += "missing"
			}
			return s
		case linSet:
			s = fmt.Sprintf("set(%s, %q)", in.key, in.val)
		case linDelete:
			s = fmt.Sprintf("delete(%s) -> %v", in.key, out.found)
		case linCAS:
			s = fmt.Sprintf("cas(%s, %q, %q) -> %v", in.key, in.old, in.val, out.found)
		}
		if out.unknown {
			s += " (outcome unknown)"
		}
		return s
	},
	DescribeState: func(state any) string {
		st := state.(linState)
		if !st.present {
			return "missing"
		}
		return strconv.Quote(st.val)
	},
}

// TestLinearizabilityCheckerRejects feeds hand-made histories to the same
// model: the violations must be found Illegal and the legal ones Ok, so
// that an Ok from TestLinearizability means something.
func TestLinearizabilityCheckerRejects(t *testing.T) {
	op := func(client int, call, ret int64, in linInput, out linOutput) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
	}
	get := func(k string) linInput { return linInput{op: linGet, key: k} }
	set := func(k, v string) linInput { return linInput{op: linSet, key: k, val: v} }
	del := func(k string) linInput { return linInput{op: linDelete, key: k} }
	cas := func(k, old, v string) linInput { return linInput{op: linCAS, key: k, old: old, val: v} }
	saw := func(v string) linOutput { return linOutput{found: true, val: v} }
	yes, no, unknown := linOutput{found: true}, linOutput{}, linOutput{unknown: true}
	never := int64(linUnknownReturn)

	cases := []struct {
		name    string
		want    porcupine.CheckResult
		history []porcupine.Operation
	}{
		{"read of a value never written", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(1, 20, 30, get("k"), saw("z")),
		}},
		{"stale read after a completed set", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(0, 20, 30, set("k", "b"), no),
			op(1, 40, 50, get("k"), saw("a")),
		}},
		{"read of a deleted key", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(0, 20, 30, del("k"), yes),
			op(1, 40, 50, get("k"), saw("a")),
		}},
		{"missing key read after a set", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(1, 20, 30, get("k"), no),
		}},
		{"delete of a missing key reports found", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, 10, del("k"), yes),
		}},
		{"swap with the wrong old value", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(1, 20, 30, cas("k", "b", "c"), yes),
		}},
		{"swap of a missing key", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, 10, cas("k", "", "c"), yes),
		}},
		{"failed swap that took effect", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(1, 20, 30, cas("k", "a", "c"), no),
			op(2, 40, 50, get("k"), saw("c")),
		}},
		{"two concurrent swaps from one old value both win", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(1, 20, 40, cas("k", "a", "b"), yes),
			op(2, 25, 35, cas("k", "a", "c"), yes),
		}},
		{"an unknown write cannot explain a value it did not write", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, never, set("k", "a"), unknown),
			op(1, 20, 30, get("k"), saw("z")),
		}},
		{"one bad key among good ones", porcupine.Illegal, []porcupine.Operation{
			op(0, 0, 10, set("j", "a"), no),
			op(1, 5, 15, get("j"), saw("a")),
			op(0, 20, 30, set("k", "a"), no),
			op(1, 40, 50, get("k"), no),
		}},

		{"concurrent read sees the old value", porcupine.Ok, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(0, 20, 40, set("k", "b"), no),
			op(1, 25, 30, get("k"), saw("a")),
		}},
		{"concurrent read sees the new value", porcupine.Ok, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(0, 20, 40, set("k", "b"), no),
			op(1, 25, 30, get("k"), saw("b")),
		}},
		{"swap then failed swap", porcupine.Ok, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(1, 20, 40, cas("k", "a", "b"), yes),
			op(2, 25, 35, cas("k", "a", "c"), no),
			op(0, 50, 60, get("k"), saw("b")),
		}},
		{"unknown write that happened", porcupine.Ok, []porcupine.Operation{
			op(0, 0, never, set("k", "a"), unknown),
			op(1, 20, 30, get("k"), saw("a")),
		}},
		{"unknown write that did not happen", porcupine.Ok, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(0, 20, never, del("k"), unknown),
			op(1, 30, 40, get("k"), saw("a")),
		}},
		{"unknown swap either way", porcupine.Ok, []porcupine.Operation{
			op(0, 0, 10, set("k", "a"), no),
			op(0, 20, never, cas("k", "a", "b"), unknown),
			op(1, 30, 40, get("k"), saw("a")),
			op(1, 50, 60, get("k"), saw("b")),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, _ := porcupine.CheckOperationsVerbose(linModel, c.history, bound)
			require.Equal(t, c.want, res)
		})
	}
}
