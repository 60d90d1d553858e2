package store

// The key-value machine sorts its commands and queries for Ops.
var _ OpClassifier[Command, Query] = (*KV)(nil)

// CommandKind implements OpClassifier.
func (kv *KV) CommandKind(c Command) OpKind {
	switch c.Op {
	case OpSet, OpSetAt, OpExpireAt, OpExpireIfLive:
		return KindSet
	case OpDelete, OpDeleteRange:
		return KindDelete
	case OpClear:
		return KindClear
	case OpBatch:
		return KindBatch
	case OpCAS, OpSetAbsent:
		return KindCAS
	}
	return KindCommand
}

// QueryKind implements OpClassifier.
func (kv *KV) QueryKind(q Query) OpKind {
	if q.Op == QueryGet {
		return KindGet
	}
	return KindQuery
}
