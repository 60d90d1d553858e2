package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// errRefused marks an answer that asking again will not change (a bad
// token, a bad request, a join that conflicts with a member): the node
// gives up at once rather than retry for ever.
var errRefused = errors.New("refused")

// call sends a request to the API at addr and returns the status and the
// body of the answer.
func call(ctx context.Context, c *http.Client, f flags, method, addr, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, f.scheme()+"://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// joinVia asks the node at f.join to add the node req describes.
func joinVia(ctx context.Context, c *http.Client, f flags, req joinRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	code, answer, err := call(ctx, c, f, http.MethodPost, f.join, "/join", body)
	if err != nil {
		return fmt.Errorf("join via %s: %w", f.join, err)
	}
	if code != http.StatusNoContent {
		err := fmt.Errorf("join via %s: %d %s", f.join, code, bytes.TrimSpace(answer))
		if code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests {
			err = fmt.Errorf("%w: %w", errRefused, err)
		}
		return err
	}
	return nil
}
