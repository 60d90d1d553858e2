package store

// Hooks into the publication for the tests (publish_test.go).

// PubReader is a reader held inside the published image, as Lookup is
// between its announcement and its last counter update.
type PubReader struct {
	c  *pubCount
	im *image
}

// EnterPub announces a reader and loads the published image,
// as Lookup does; it returns nil if none is published.
func EnterPub[C, Q, R any](e *Engine[C, Q, R]) *PubReader {
	im, c := e.pub.enter()
	if im == nil {
		return nil
	}
	return &PubReader{c: c, im: im}
}

// Get reads key from the image the reader holds.
func (r *PubReader) Get(key string) ([]byte, bool) { return r.im.Get(key) }

// Leave withdraws the reader.
func (r *PubReader) Leave() { r.c.out.Add(1) }

// MaxPubLayers is maxPubLayers.
const MaxPubLayers = maxPubLayers
